#!/usr/bin/env node
// Proxy throughput benchmark: Silverback side by side with an upstream hit directly, nginx
// proxy_pass and a minimal Node proxy, measured with wrk in interleaved rounds (A B C, B C A, ...)
// and reported as medians and ratios computed inside each round.
//
//   node bench/proxy/run.mjs [--rounds 5] [--duration 8] [--warmup 3] [--conns 50]
//                            [--only name,name] [--no-install]
//
// Layout (2 cores): wrk and the upstream on cpu 0, single-process proxies (nginx, the minimal
// Node proxy, Silverback with 1 worker) pinned to cpu 1. Silverback with `auto` workers is not
// pinned (its workers share both cores with wrk and the upstream). Every process started here is
// stopped on exit.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = new URL('../..', import.meta.url).pathname
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}
const ROUNDS = Number(opt('rounds', 5))
const DURATION = Number(opt('duration', 8))
const WARMUP = Number(opt('warmup', 3))
const CONNS = Number(opt('conns', 50))
const ONLY = opt('only', '').split(',').filter(Boolean)
const INSTALL = !args.includes('--no-install')

const children = []
const dirs = []
function cleanup() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL')
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

const log = (...a) => process.stderr.write(`${a.join(' ')}\n`)
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

function ensureTools() {
  const missing = ['wrk', 'nginx'].filter((t) => !has(t))
  if (missing.length > 0 && INSTALL && process.getuid?.() === 0 && has('apt-get')) {
    const pkgs = missing.map((t) => (t === 'nginx' ? 'nginx-light' : t))
    log(`installing ${pkgs.join(' ')} with apt-get...`)
    spawnSync('apt-get', ['install', '-y', ...pkgs], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    // Debian starts nginx as a service on install: stop it, we run our own.
    spawnSync('sh', ['-c', 'nginx -s stop 2>/dev/null; true'])
  }
  if (!has('wrk')) {
    log('wrk is required (Debian package "wrk"); run as root to let the benchmark install it')
    process.exit(2)
  }
  return has('nginx')
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function start(cmd, argv, env, cpu) {
  const full = cpu === undefined ? [cmd, ...argv] : ['taskset', '-c', String(cpu), cmd, ...argv]
  const c = spawn(full[0], full.slice(1), {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  c.stderr.on('data', (d) => {
    err += d.toString()
  })
  children.push(c)
  c.errText = () => err
  return c
}

function status(url, headers) {
  // node:http rather than fetch: fetch does not let us set Host.
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.on('error', () => resolve(0))
  })
}

async function waitOk(url, headers = {}, ms = 60_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if ((await status(url, headers)) === 200) return
    await sleep(100)
  }
  throw new Error(`${url} did not answer 200`)
}

function nginxConf(dir, port, body) {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  keepalive_requests 1000000;
  keepalive_timeout 120s;
${body(port)}
}
`
}

async function startNginx(body, cpu) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'))
  dirs.push(dir)
  const port = await freePort()
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port, body))
  const c = start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], {}, cpu)
  return { port, pid: c.pid }
}

async function startSilverback(upstream, routes, workers, cpu, plugins = false) {
  // plugins: true (key-auth + rate-limiting) or a seed argument such as `targets=…`
  const prefix = mkdtempSync(join(tmpdir(), 'bench-silverback-'))
  dirs.push(prefix)
  execFileSync(process.execPath, [
    join(ROOT, 'bench/proxy/seed.mjs'),
    prefix,
    upstream,
    String(routes),
    ...(plugins === true ? ['plugins'] : plugins ? [plugins] : []),
  ])
  const port = await freePort()
  const c = start(
    process.execPath,
    [join(ROOT, 'bin/silverback.js'), 'start'],
    {
      NODE_ENV: 'production',
      KONG_PREFIX: prefix,
      KONG_PROXY_LISTEN: `127.0.0.1:${port}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      KONG_STATUS_LISTEN: 'off',
      KONG_NGINX_WORKER_PROCESSES: String(workers),
      KONG_PROXY_ACCESS_LOG: 'off',
      KONG_LOG_LEVEL: 'warn',
    },
    cpu,
  )
  c.prefix = prefix
  return { port, pid: c.pid }
}

function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0)
  const ms = (label) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text)
    if (!m) return Number.NaN
    const v = Number(m[1])
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v
  }
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? '0'
  const socket = /Socket errors: (.*)/.exec(text)?.[1] ?? ''
  return { rps, p50: ms('50'), p99: ms('99'), non2xx: Number(errors), socket }
}

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100)

/** CPU time (user + system, in clock ticks) of a process and its children. */
function cpuTicks(pid) {
  let total = 0
  const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
  for (const p of [String(pid), ...kids]) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      total += Number(fields[11]) + Number(fields[12])
    } catch {}
  }
  return total
}

/** A wrk script sending each request with the next of the 100 consumers' API keys. */
function keysScript() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'))
  dirs.push(dir)
  const file = join(dir, 'keys.lua')
  writeFileSync(
    file,
    'local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, nil, { ["apikey"] = "bench-key-" .. (n % 100) })\nend\n',
  )
  return file
}

function wrk(target, seconds) {
  const headerArgs = target.host ? ['-H', `Host: ${target.host}`] : []
  if (target.script) headerArgs.push('-s', target.script)
  const before = cpuTicks(target.pid)
  const out = execFileSync(
    'taskset',
    [
      '-c',
      '0',
      'timeout',
      String(seconds + 30),
      'wrk',
      '-t1',
      `-c${CONNS}`,
      `-d${seconds}s`,
      '--latency',
      ...headerArgs,
      `http://127.0.0.1:${target.port}${target.path}`,
    ],
    { encoding: 'utf8' },
  )
  const r = parseWrk(out)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  r.cpuUs = requests > 0 ? ((cpuTicks(target.pid) - before) * TICK_US) / requests : Number.NaN
  return r
}

const median = (xs) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main() {
  const withNginx = ensureTools()
  if (!withNginx) log('nginx not installed: the nginx rows are skipped (ratios to nginx unavailable)')
  // Upstream on cpu 0 with wrk.
  // the upstream answers on 4 ports: the 4 targets of the upstream-entity row
  const extraPorts = [await freePort(), await freePort(), await freePort()]
  let upstreamServer
  if (withNginx) {
    const listens = (port) => [port, ...extraPorts].map((p) => `listen 127.0.0.1:${p};`).join(' ')
    upstreamServer = await startNginx(
      (port) => `  server { ${listens(port)} location / { return 200 '${'x'.repeat(100)}'; } }`,
      0,
    )
  } else {
    const port = await freePort()
    const c = start(
      process.execPath,
      [join(ROOT, 'bench/proxy/node-upstream.cjs')],
      { PORT: String(port) },
      0,
    )
    for (const p of extraPorts)
      start(process.execPath, [join(ROOT, 'bench/proxy/node-upstream.cjs')], { PORT: String(p) }, 0)
    upstreamServer = { port, pid: c.pid }
  }
  const upstreamPort = upstreamServer.port
  const upstream = `http://127.0.0.1:${upstreamPort}`
  await waitOk(upstream)

  // `pid`: the process (with its children) whose CPU time is counted for the target.
  const targets = [{ name: 'direct', ...upstreamServer, path: '/' }]
  if (withNginx) {
    const server = await startNginx(
      (p) => `  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server { listen 127.0.0.1:${p};
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
      1,
    )
    targets.push({ name: 'nginx-proxy', ...server, path: '/' })
  }
  const minimal = await freePort()
  const m = start(
    process.execPath,
    [join(ROOT, 'bench/proxy/minimal-proxy.cjs')],
    { PORT: String(minimal), UPSTREAM_URL: upstream, NODE_ENV: 'production' },
    1,
  )
  targets.push({ name: 'node-minimal', port: minimal, pid: m.pid, path: '/' })

  const mid = 5000
  const tenK = { host: `host${mid}.bench.test`, path: `/api/v${mid % 7}/res${mid}` }
  const oneWorker = await startSilverback(upstream, 1, 1, 1)
  targets.push({ name: 'silverback-1w', ...oneWorker, path: '/' })
  targets.push({ name: 'silverback-auto', ...(await startSilverback(upstream, 1, 'auto')), path: '/' })
  // key-auth + rate-limiting (local) on 1 route, requests spread over 100 consumers
  const script = keysScript()
  // the same no-plugin gateway driven by the same client script: the fair baseline of the row below
  targets.push({ name: 'silverback-1w-keys', ...oneWorker, path: '/', script })
  targets.push({
    name: 'silverback-1w-auth-rl',
    ...(await startSilverback(upstream, 1, 1, 1, true)),
    path: '/',
    script,
    headers: { apikey: 'bench-key-1' },
  })
  // 1 route → an upstream entity with 4 targets (round-robin), vs the same route to a plain URL
  const fourTargets = `targets=${[upstreamPort, ...extraPorts].map((p) => `127.0.0.1:${p}`).join(',')}`
  targets.push({
    name: 'silverback-1w-upstream4',
    ...(await startSilverback(upstream, 1, 1, 1, fourTargets)),
    path: '/',
  })
  targets.push({ name: 'silverback-1w-10k', ...(await startSilverback(upstream, 10000, 1, 1)), ...tenK })
  targets.push({ name: 'silverback-auto-10k', ...(await startSilverback(upstream, 10000, 'auto')), ...tenK })

  const chosen = ONLY.length ? targets.filter((t) => ONLY.includes(t.name)) : targets
  for (const t of chosen) {
    await waitOk(`http://127.0.0.1:${t.port}${t.path}`, { ...(t.host ? { host: t.host } : {}), ...t.headers })
    log(`warm-up ${t.name}`)
    wrk(t, WARMUP)
  }
  const results = new Map(chosen.map((t) => [t.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = chosen.map((_, i) => chosen[(i + round) % chosen.length])
    for (const t of order) {
      const r = wrk(t, DURATION)
      results.get(t.name).push(r)
      log(
        `round ${round + 1}/${ROUNDS} ${t.name}: ${r.rps.toFixed(0)} rps p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms, ${r.cpuUs.toFixed(1)} µs CPU/req`,
      )
    }
  }
  const ratio = (name, base) => {
    const a = results.get(name)
    const b = results.get(base)
    if (!a || !b) return Number.NaN
    return median(a.map((r, i) => r.rps / b[i].rps))
  }
  const rows = [
    [
      'target',
      'RPS',
      'p50 ms',
      'p99 ms',
      'CPU µs/req',
      'vs nginx',
      'vs node-minimal',
      'vs 1 route',
      'vs no plugins',
      'vs plain service',
      'non-2xx',
    ],
  ]
  for (const t of chosen) {
    const rs = results.get(t.name)
    rows.push([
      t.name,
      median(rs.map((r) => r.rps)).toFixed(0),
      median(rs.map((r) => r.p50)).toFixed(2),
      median(rs.map((r) => r.p99)).toFixed(2),
      median(rs.map((r) => r.cpuUs)).toFixed(1),
      ratio(t.name, 'nginx-proxy').toFixed(2),
      ratio(t.name, 'node-minimal').toFixed(2),
      t.name.endsWith('-10k') ? ratio(t.name, t.name.slice(0, -4)).toFixed(2) : '',
      t.name === 'silverback-1w-auth-rl' ? ratio(t.name, 'silverback-1w-keys').toFixed(2) : '',
      t.name === 'silverback-1w-upstream4' ? ratio(t.name, 'silverback-1w').toFixed(2) : '',
      String(rs.reduce((s, r) => s + r.non2xx, 0)),
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  console.log(
    `\nwrk -t1 -c${CONNS}, ${DURATION} s per run, ${ROUNDS} interleaved rounds, medians; 100-byte upstream body`,
  )
  for (const r of rows)
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
}

main().then(
  () => process.exit(0),
  (err) => {
    log(err.stack ?? String(err))
    process.exit(1)
  },
)
