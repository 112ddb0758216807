// Starts the real `silverback start` process on free loopback ports with a temporary prefix,
// waits until it serves, and stops it. Integration tests talk to it over HTTP.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = new URL('../..', import.meta.url).pathname
export const BIN = join(ROOT, 'bin', 'silverback.js')

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface Gateway {
  prefix: string
  admin: string
  status: string
  adminPort: number
  statusPort: number
  /** Proxy base URL (when started with `proxy: true`). */
  proxy: string
  proxyPort: number
  process: ChildProcess
  /** Everything the process wrote on stdout/stderr so far. */
  output(): string
  errorLog(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface GatewayOptions {
  /** Extra KONG_* variables (names without the KONG_ prefix, e.g. { LOG_LEVEL: 'debug' }). */
  env?: Record<string, string>
  /** Extra CLI arguments after `start`. */
  args?: string[]
  /** Reuse a prefix (e.g. to restart on the same database). */
  prefix?: string
  /** Start the proxy on a free port (default: proxy_listen off). */
  proxy?: boolean
  /** Proxy workers (default 1). */
  workers?: number
}

// Every gateway a test file starts is killed when that file's process exits, even when a test
// failed or timed out before calling stop(): a leaked gateway would keep the run from ending.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** A port picked by freePort was taken by another process before the gateway bound it. */
class PortTaken extends Error {}

export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  // freePort() releases the port before the gateway binds it: a test running in parallel may
  // take it in between (its gateway, or an upstream listening on port 0). Then start again on
  // other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts)
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 4) throw err
    }
  }
}

async function startOnce(opts: GatewayOptions): Promise<Gateway> {
  const prefix = opts.prefix ?? mkdtempSync(join(tmpdir(), 'silverback-it-'))
  const adminPort = await freePort()
  const statusPort = await freePort()
  const proxyPort = opts.proxy ? await freePort() : 0
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KONG_PREFIX: prefix,
    KONG_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    KONG_PROXY_LISTEN: opts.proxy ? `127.0.0.1:${proxyPort}` : 'off',
    KONG_NGINX_WORKER_PROCESSES: String(opts.workers ?? 1),
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) env[`KONG_${k}`] = v
  // SILVERBACK_TEST_DATABASE=postgres: the gateway stores in a PostgreSQL schema of its own (one
  // per prefix, so a restart on the same prefix finds its data), bootstrapped here
  const pgSchema = testSchema(prefix, opts)
  if (pgSchema !== null) {
    Object.assign(env, {
      KONG_DATABASE: 'postgres',
      KONG_PG_HOST: '127.0.0.1',
      KONG_PG_DATABASE: 'test',
      KONG_PG_USER: 'postgres',
      KONG_PG_SCHEMA: pgSchema,
    })
    const boot = spawnSync(process.execPath, [BIN, 'migrations', 'bootstrap'], { env, encoding: 'utf8' })
    if (boot.status !== 0) throw new Error(`bootstrap of ${pgSchema} failed:\n${boot.stderr}`)
  }
  const child = spawn(process.execPath, [BIN, 'start', ...(opts.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const admin = `http://127.0.0.1:${adminPort}`
  // a temporary prefix (and test schema) goes with the gateway, also when it failed to start
  const cleanUp = (): void => {
    if (opts.prefix) return
    rmSync(prefix, { recursive: true, force: true })
    if (pgSchema !== null) dropSchema(pgSchema)
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) {
      cleanUp()
      if (/could not bind \w+ 127\.0\.0\.1:\d+: EADDRINUSE/.test(out)) throw new PortTaken(out)
      throw new Error(`gateway exited (${child.exitCode}):\n${out}`)
    }
    try {
      const res = await fetch(`${admin}/`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) {
        // this gateway, not another server that took the port
        const body = (await res.json().catch(() => null)) as { pids?: { master?: number } } | null
        if (body?.pids?.master === child.pid) break
        child.kill('SIGKILL')
        await exited
        cleanUp()
        throw new PortTaken(`127.0.0.1:${adminPort} answered for another process`)
      }
    } catch (err) {
      if (err instanceof PortTaken) throw err
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      await exited
      cleanUp()
      throw new Error(`gateway did not start:\n${out}`)
    }
    await sleep(50)
  }
  return {
    prefix,
    admin,
    status: `http://127.0.0.1:${statusPort}`,
    adminPort,
    statusPort,
    proxy: `http://127.0.0.1:${proxyPort}`,
    proxyPort,
    process: child,
    output: () => out,
    errorLog: () => {
      try {
        return readFileSync(join(prefix, 'logs', 'error.log'), 'utf8')
      } catch {
        return ''
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(timer)
      cleanUp()
      return code
    },
  }
}

export interface JsonResponse {
  status: number
  headers: Headers
  body: unknown
  text: string
}

/** Sends a request; JSON bodies are encoded unless `raw` is given. */
export async function request(
  base: string,
  method: string,
  path: string,
  opts: {
    json?: unknown
    form?: Record<string, string> | string
    raw?: string
    headers?: Record<string, string>
  } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...opts.headers }
  let body: string | undefined
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json)
    headers['content-type'] ??= 'application/json'
  } else if (opts.form !== undefined) {
    body = typeof opts.form === 'string' ? opts.form : new URLSearchParams(opts.form).toString()
    headers['content-type'] ??= 'application/x-www-form-urlencoded'
  } else if (opts.raw !== undefined) body = opts.raw
  const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** The PostgreSQL schema of a test gateway, or null to use the default store. */
function testSchema(prefix: string, opts: GatewayOptions): string | null {
  if (process.env.SILVERBACK_TEST_DATABASE !== 'postgres' || opts.env?.DATABASE !== undefined) return null
  return `sb_gw_${createHash('sha1').update(prefix).digest('hex').slice(0, 16)}`
}

function dropSchema(schema: string): void {
  spawnSync(
    'psql',
    ['-h', '127.0.0.1', '-U', 'postgres', 'test', '-qc', `DROP SCHEMA IF EXISTS "${schema}" CASCADE`],
    {
      stdio: 'ignore',
    },
  )
}
