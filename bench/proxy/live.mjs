#!/usr/bin/env node
// Live configuration: (1) how long after an Admin API write the proxy serves the new route
// (change-to-proxy delay, over N writes); (2) the latency of ongoing traffic while a 10,000-route
// snapshot is rebuilt again and again, against the same traffic without rebuilds.
//
//   node bench/proxy/live.mjs [--writes 100] [--duration 10]
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
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
const WRITES = Number(opt('writes', 100))
const DURATION = Number(opt('duration', 10))

const children = []
const dirs = []
process.on('exit', () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL')
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`)

function freePort() {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function request(port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: data ? { ...headers, 'content-type': 'application/json' } : headers,
      },
      (res) => {
        let text = ''
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => resolve({ status: res.statusCode, text }))
      },
    )
    req.on('error', reject)
    req.end(data)
  })
}

async function startSilverback(upstream, routes) {
  const prefix = mkdtempSync(join(tmpdir(), 'bench-live-'))
  dirs.push(prefix)
  execFileSync(process.execPath, [join(ROOT, 'bench/proxy/seed.mjs'), prefix, upstream, String(routes)])
  const proxy = await freePort()
  const admin = await freePort()
  const c = spawn(process.execPath, [join(ROOT, 'bin/silverback.js'), 'start'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      KONG_PREFIX: prefix,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      KONG_STATUS_LISTEN: 'off',
      KONG_NGINX_WORKER_PROCESSES: '1',
      KONG_PROXY_ACCESS_LOG: 'off',
      KONG_LOG_LEVEL: 'warn',
    },
    detached: true,
    stdio: 'ignore',
  })
  children.push(c)
  for (let i = 0; i < 600; i++) {
    try {
      if ((await request(admin, 'GET', '/status')).status === 200) return { proxy, admin }
    } catch {}
    await sleep(100)
  }
  throw new Error('silverback did not start')
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

/** Runs wrk without blocking this process (the churn loop runs beside it). */
function wrk(port, host, path, seconds) {
  return new Promise((resolve, reject) => {
    const argv = [
      String(seconds + 30),
      'wrk',
      '-t1',
      '-c10',
      `-d${seconds}s`,
      '--latency',
      '-H',
      `Host: ${host}`,
    ]
    const c = spawn('timeout', [...argv, `http://127.0.0.1:${port}${path}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    c.stdout.on('data', (d) => {
      out += d
    })
    c.on('error', reject)
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}`))
      const ms = (label) => {
        const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out)
        const v = Number(m[1])
        return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v
      }
      // Failed requests: non-2xx/3xx answers plus connect/read/write/timeout socket errors.
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
      const failed = non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
        p50: ms('50'),
        p99: ms('99'),
        requests,
        failed,
      })
    })
  })
}

async function main() {
  const upstreamPort = await freePort()
  const up = spawn(process.execPath, [join(ROOT, 'bench/proxy/node-upstream.cjs')], {
    env: { ...process.env, PORT: String(upstreamPort) },
    detached: true,
    stdio: 'ignore',
  })
  children.push(up)
  const upstream = `http://127.0.0.1:${upstreamPort}`

  // 1. change-to-proxy delay
  const small = await startSilverback(upstream, 1)
  const fromSent = []
  const fromAck = []
  for (let i = 0; i < WRITES; i++) {
    const path = `/live-${i}`
    const sent = performance.now()
    const res = await request(small.admin, 'POST', '/services/bench/routes', { paths: [path] })
    if (res.status !== 201) throw new Error(res.text)
    const acked = performance.now()
    for (;;) {
      const r = await request(small.proxy, 'GET', path)
      if (r.status === 200) break
    }
    const seen = performance.now()
    fromSent.push(seen - sent)
    fromAck.push(seen - acked)
  }
  console.log(`\nchange-to-proxy delay over ${WRITES} route creations (1 worker):`)
  console.log(
    `  from the Admin API request: p50 ${pct(fromSent, 50).toFixed(1)} ms, p99 ${pct(fromSent, 99).toFixed(1)} ms, max ${Math.max(...fromSent).toFixed(1)} ms`,
  )
  console.log(
    `  from its 201 response:      p50 ${pct(fromAck, 50).toFixed(1)} ms, p99 ${pct(fromAck, 99).toFixed(1)} ms, max ${Math.max(...fromAck).toFixed(1)} ms`,
  )

  // 2. traffic latency while 10,000 routes are rebuilt
  if (spawnSync('sh', ['-c', 'command -v wrk']).status !== 0) {
    log('wrk not installed: skipping the rebuild-under-load measurement')
    return
  }
  const big = await startSilverback(upstream, 10000)
  const host = 'host5000.bench.test'
  const path = '/api/v2/res5000'
  while ((await request(big.proxy, 'GET', path, undefined, { host })).status !== 200) await sleep(100)
  await wrk(big.proxy, host, path, 3)
  const quiet = await wrk(big.proxy, host, path, DURATION)
  let rebuilding = true
  let rebuilds = 0
  const churn = (async () => {
    for (let i = 0; rebuilding; i++) {
      // Each PUT changes one route: every worker rebuilds its whole 10,000-route snapshot.
      await request(big.admin, 'PUT', '/routes/churn', {
        paths: [`/churn-${i}`],
        service: { name: 'bench' },
      })
      rebuilds++
      await sleep(250)
    }
  })()
  const busy = await wrk(big.proxy, host, path, DURATION)
  rebuilding = false
  await churn
  console.log(
    `\ntraffic while a 10,000-route snapshot is rebuilt every 250 ms (${rebuilds} rebuilds), wrk -c10:`,
  )
  console.log(
    `  without rebuilds: ${quiet.rps.toFixed(0)} rps, p50 ${quiet.p50.toFixed(2)} ms, p99 ${quiet.p99.toFixed(2)} ms, ${quiet.failed} of ${quiet.requests} requests failed`,
  )
  console.log(
    `  with rebuilds:    ${busy.rps.toFixed(0)} rps, p50 ${busy.p50.toFixed(2)} ms, p99 ${busy.p99.toFixed(2)} ms, ${busy.failed} of ${busy.requests} requests failed`,
  )
}

main().then(
  () => process.exit(0),
  (err) => {
    log(err.stack ?? String(err))
    process.exit(1)
  },
)
