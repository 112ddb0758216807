#!/usr/bin/env node
// A local cluster: N Silverback nodes on this machine sharing one PostgreSQL schema (and one
// Redis for the plugins that keep state there), each with its own prefix and ports. See
// docs/deployment.md, "A local cluster".
//
//   npm run cluster -- start [--nodes 3] [--base-port 9000] [--pg-database kong] [--pg-user kong] ...
//   npm run cluster -- status
//   npm run cluster -- stop [--graceful] [--drop]
//
// Node i (from 1) listens on 127.0.0.1 only: proxy base+10(i-1), Admin API base+10(i-1)+1,
// Status API base+10(i-1)+7 (9000/9001/9007, 9010/9011/9017, ...), prefix <dir>/node-<i>.
// The PostgreSQL settings come from the flags, else from KONG_PG_* variables, else Kong's
// defaults; any other KONG_* variable set when running `start` applies to every node.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = new URL('..', import.meta.url).pathname
const BIN = join(ROOT, 'bin', 'silverback.js')

const USAGE = `Usage: npm run cluster -- <start|status|stop> [options]

start   bootstraps the schema if needed (and runs new migrations), starts the nodes, prints
        their ports
          --nodes <n>                 number of nodes (default 3)
          --base-port <p>             first port (default 9000): node i uses base+10(i-1) for the
                                      proxy, +1 for the Admin API, +7 for the Status API
          --workers <n>               proxy workers per node (default 1)
          --db-update-frequency <s>   seconds between the polls of other nodes' changes
          --pg-host, --pg-port, --pg-database, --pg-user
                                      PostgreSQL (default: KONG_PG_* or 127.0.0.1:5432, kong, kong;
                                      the password only from KONG_PG_PASSWORD)
          --pg-schema <name>          the schema the nodes share (default silverback_cluster)
          --redis <host:port|off>     the Redis checked and printed for plugins (default
                                      127.0.0.1:6379)
status  each node's state (Status API)
stop    stops every node
          --graceful                  finish in-flight requests first (quit instead of stop)
          --drop                      then drop the schema and remove the prefixes
options of every command:
          --dir <path>                where the prefixes and cluster.json live
                                      (default ./servroot-cluster)
`

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string', default: '3' },
    'base-port': { type: 'string', default: '9000' },
    workers: { type: 'string', default: '1' },
    'db-update-frequency': { type: 'string' },
    'pg-host': { type: 'string' },
    'pg-port': { type: 'string' },
    'pg-database': { type: 'string' },
    'pg-user': { type: 'string' },
    'pg-schema': { type: 'string', default: 'silverback_cluster' },
    redis: { type: 'string', default: '127.0.0.1:6379' },
    dir: { type: 'string', default: 'servroot-cluster' },
    graceful: { type: 'boolean', default: false },
    drop: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

const DIR = resolve(opt.dir)
const STATE = join(DIR, 'cluster.json')

function fail(message) {
  process.stderr.write(`cluster: ${message}\n`)
  process.exit(1)
}

/** Runs the silverback command; resolves with its exit code and output. */
function silverback(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      out += d
    })
    child.on('exit', (code) => resolve({ code, out: out.trim() }))
  })
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

/** Sends PING to Redis: true when it answers +PONG (or asks for authentication). */
function redisAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(String(d))))
  })
}

function getJson(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = ''
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => {
        try {
          resolve(JSON.parse(body))
        } catch {
          resolve(null)
        }
      })
    })
    req.on('error', () => resolve(null))
    req.on('timeout', () => req.destroy())
  })
}

/** Whether the node's pid file names a live process. */
function running(node) {
  try {
    const pid = Number(readFileSync(join(node.prefix, 'pids', 'silverback.pid'), 'utf8'))
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function readState() {
  if (!existsSync(STATE)) fail(`no cluster in ${DIR} (start one with: npm run cluster -- start)`)
  return JSON.parse(readFileSync(STATE, 'utf8'))
}

/** The KONG_* settings every node shares. */
function sharedEnv(state) {
  const env = {
    ...process.env,
    KONG_DATABASE: 'postgres',
    KONG_PG_HOST: state.pg.host,
    KONG_PG_PORT: String(state.pg.port),
    KONG_PG_DATABASE: state.pg.database,
    KONG_PG_USER: state.pg.user,
    KONG_PG_SCHEMA: state.pg.schema,
    KONG_NGINX_WORKER_PROCESSES: String(state.workers),
  }
  if (state.dbUpdateFrequency !== undefined) env.KONG_DB_UPDATE_FREQUENCY = String(state.dbUpdateFrequency)
  return env
}

function nodeEnv(state, node) {
  return {
    ...sharedEnv(state),
    KONG_PREFIX: node.prefix,
    KONG_PROXY_LISTEN: `127.0.0.1:${node.proxyPort}`,
    KONG_ADMIN_LISTEN: `127.0.0.1:${node.adminPort}`,
    KONG_STATUS_LISTEN: `127.0.0.1:${node.statusPort}`,
  }
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

async function start() {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) fail('dist/ is missing: run npm run build first')
  if (existsSync(STATE)) {
    if (readState().nodes.some(running))
      fail(`a cluster is already running in ${DIR} (npm run cluster -- stop)`)
  }
  const count = Number(opt.nodes)
  const base = Number(opt['base-port'])
  if (!Number.isInteger(count) || count < 1 || count > 50) fail('--nodes must be an integer from 1 to 50')
  if (!Number.isInteger(base) || base < 1024 || base + 10 * count > 65535) fail('--base-port out of range')
  const env = process.env
  const state = {
    pg: {
      host: opt['pg-host'] ?? env.KONG_PG_HOST ?? '127.0.0.1',
      port: Number(opt['pg-port'] ?? env.KONG_PG_PORT ?? 5432),
      database: opt['pg-database'] ?? env.KONG_PG_DATABASE ?? 'kong',
      user: opt['pg-user'] ?? env.KONG_PG_USER ?? 'kong',
      schema: opt['pg-schema'],
    },
    workers: Number(opt.workers),
    ...(opt['db-update-frequency'] !== undefined
      ? { dbUpdateFrequency: Number(opt['db-update-frequency']) }
      : {}),
    redis: opt.redis,
    nodes: Array.from({ length: count }, (_, i) => ({
      name: `node-${i + 1}`,
      prefix: join(DIR, `node-${i + 1}`),
      proxyPort: base + 10 * i,
      adminPort: base + 10 * i + 1,
      statusPort: base + 10 * i + 7,
    })),
  }
  for (const n of state.nodes) {
    for (const port of [n.proxyPort, n.adminPort, n.statusPort])
      if (!(await portFree(port))) fail(`port ${port} (${n.name}) is in use: choose another --base-port`)
  }

  // the schema: created and migrated once, before any node starts
  const shared = sharedEnv(state)
  const where = `${state.pg.host}:${state.pg.port}/${state.pg.database}, schema ${state.pg.schema}`
  const boot = await silverback(['migrations', 'bootstrap'], shared)
  if (boot.code !== 0) fail(`migrations bootstrap on ${where} failed:\n${boot.out}`)
  const up = await silverback(['migrations', 'up'], shared)
  if (up.code !== 0) fail(`migrations up on ${where} failed:\n${up.out}`)
  console.log(`PostgreSQL ${where}: ${boot.out.split('\n').pop()}; ${up.out.split('\n').pop()}`)

  mkdirSync(DIR, { recursive: true })
  writeFileSync(STATE, `${JSON.stringify(state, null, 2)}\n`)
  const results = await Promise.all(
    state.nodes.map((n) => silverback(['start', '--daemon'], nodeEnv(state, n))),
  )
  const failed = results.map((r, i) => [r, state.nodes[i]]).filter(([r]) => r.code !== 0)
  if (failed.length > 0) {
    for (const [r, n] of failed) process.stderr.write(`${n.name} did not start:\n${r.out}\n`)
    await stopNodes(state, false)
    fail('stopped the nodes that had started')
  }
  console.log(
    table([
      ['node', 'proxy', 'admin api', 'status api', 'prefix'],
      ...state.nodes.map((n) => [
        n.name,
        `http://127.0.0.1:${n.proxyPort}`,
        `http://127.0.0.1:${n.adminPort}`,
        `http://127.0.0.1:${n.statusPort}`,
        n.prefix,
      ]),
    ]),
  )
  if (state.redis !== 'off') {
    const [host, port] = state.redis.split(':')
    const ok = await redisAnswers(host, Number(port ?? 6379))
    console.log(
      ok
        ? `Redis ${state.redis} answers: plugins share it with config.redis.host=${host} config.redis.port=${port ?? 6379}`
        : `warning: Redis ${state.redis} does not answer (plugins with a redis policy need it; --redis off hides this)`,
    )
  }
  console.log(`logs: ${join(DIR, 'node-*', 'logs', 'error.log')}; stop with: npm run cluster -- stop`)
}

async function stopNodes(state, graceful) {
  return Promise.all(
    state.nodes.map(async (n) => {
      if (!running(n)) return `${n.name}: not running`
      const r = await silverback(graceful ? ['quit', '-p', n.prefix] : ['stop', '-p', n.prefix], process.env)
      return `${n.name}: ${r.out || `exit ${r.code}`}`
    }),
  )
}

async function stop() {
  const state = readState()
  for (const line of await stopNodes(state, opt.graceful)) console.log(line)
  if (opt.drop) {
    const { default: pg } = await import('pg')
    const client = new pg.Client({
      host: state.pg.host,
      port: state.pg.port,
      database: state.pg.database,
      user: state.pg.user,
      password: process.env.KONG_PG_PASSWORD,
    })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${state.pg.schema.replace(/"/g, '""')}" CASCADE`)
    await client.end()
    rmSync(DIR, { recursive: true, force: true })
    console.log(`dropped schema ${state.pg.schema}, removed ${DIR}`)
  }
}

async function status() {
  const state = readState()
  const rows = [['node', 'proxy', 'admin api', 'state', 'database', 'connections']]
  for (const n of state.nodes) {
    const s = await getJson(`http://127.0.0.1:${n.adminPort}/status`)
    rows.push([
      n.name,
      `127.0.0.1:${n.proxyPort}`,
      `127.0.0.1:${n.adminPort}`,
      s ? 'running' : 'not running',
      s ? (s.database?.reachable ? 'reachable' : 'unreachable') : '-',
      s ? String(s.server?.connections_active ?? '-') : '-',
    ])
  }
  console.log(table(rows))
}

const command = positionals[0]
if (opt.help || !command) {
  process.stdout.write(USAGE)
  process.exit(command || opt.help ? 0 : 1)
}
const commands = { start, stop, status }
if (!commands[command]) {
  process.stderr.write(USAGE)
  fail(`unknown command: ${command}`)
}
await commands[command]()
