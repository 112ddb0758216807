// Micro-benchmark of the upstream client path: our engine vs undici Pool.dispatch vs http.Agent,
// each keeping N requests in flight against a local keep-alive upstream that returns a small body.
//
//   node --import tsx bench/upstream/engine.bench.ts [--seconds 5] [--rounds 3] [--inflight 50]
//        [--upstream http|raw|both] [--body 100] [--variants engine,undici,agent]
//
// The upstream runs in a child process. With taskset and >= 2 cores, the upstream is pinned to
// cpu 0 and this process to cpu 1, so "µs CPU/req" (this process's user+system time per request)
// is the client path's own cost. Variants run in rotated order each round; the table gives
// medians. Every run is bounded in time and every process started here is stopped on exit.
import http from 'node:http'
import { join } from 'node:path'
import { type Dispatcher, Pool } from 'undici'
import type {
  Attempt,
  UpstreamError,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamTarget,
} from '../../src/proxy/upstream/index.js'
import { UpstreamEngine } from '../../src/proxy/upstream/index.js'
import { median, pinSelf, startNode } from './common.js'

interface Options {
  seconds: number
  rounds: number
  inflight: number
  upstream: 'http' | 'raw' | 'both'
  body: number
  variants: string[]
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 5,
    rounds: 3,
    inflight: 50,
    upstream: 'both',
    body: 100,
    variants: ['engine', 'undici', 'agent'],
  }
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1]
    switch (argv[i]) {
      case '--seconds':
        o.seconds = Number(v)
        break
      case '--rounds':
        o.rounds = Number(v)
        break
      case '--inflight':
        o.inflight = Number(v)
        break
      case '--upstream':
        o.upstream = v as Options['upstream']
        break
      case '--body':
        o.body = Number(v)
        break
      case '--variants':
        o.variants = v.split(',')
        break
      default:
        throw new Error(`unknown option ${argv[i]}`)
    }
  }
  return o
}

/** Headers a proxy typically sends upstream (Host, X-Forwarded-*, Via, request id, UA, Accept). */
function proxyHeaders(port: number): string[] {
  return [
    'Host',
    `127.0.0.1:${port}`,
    'X-Real-IP',
    '127.0.0.1',
    'X-Forwarded-For',
    '127.0.0.1',
    'X-Forwarded-Proto',
    'http',
    'X-Forwarded-Host',
    'localhost',
    'X-Forwarded-Port',
    '8000',
    'X-Forwarded-Path',
    '/',
    'Via',
    '1.1 kong/3.10.0',
    'X-Kong-Request-Id',
    '0123456789abcdef0123456789abcdef',
    'User-Agent',
    'wrk',
    'Accept',
    '*/*',
  ]
}

/** Keeps `inflight` requests going until `until` (ms since epoch); resolves with the count. */
type Driver = (inflight: number, until: number) => Promise<number>

function engineDriver(port: number): { run: Driver; close: () => void } {
  const engine = new UpstreamEngine()
  const target: UpstreamTarget = { key: `127.0.0.1|${port}`, host: '127.0.0.1', port }
  const request: UpstreamRequest = {
    method: 'GET',
    target: '/',
    headers: proxyHeaders(port),
    body: null,
    connectTimeout: 60_000,
    writeTimeout: 60_000,
    readTimeout: 60_000,
  }
  // One handler object per in-flight slot, reused for every request of that slot.
  class Slot implements UpstreamHandler {
    attempt: Attempt | null = null
    bytes = 0
    constructor(private readonly state: { count: number; until: number; active: number; done: () => void }) {}
    send(): void {
      this.attempt = engine.request(target, request, this)
    }
    onHeaders(): void {}
    onData(chunk: Buffer): boolean {
      this.bytes += chunk.length
      return true
    }
    onEnd(): void {
      this.next()
    }
    onError(err: UpstreamError): void {
      console.error('engine error', err)
      this.next()
    }
    private next(): void {
      const s = this.state
      s.count++
      if (Date.now() < s.until) this.send()
      else if (--s.active === 0) s.done()
    }
  }
  const run: Driver = (inflight, until) =>
    new Promise((resolve) => {
      const state = { count: 0, until, active: inflight, done: () => resolve(state.count) }
      for (let i = 0; i < inflight; i++) new Slot(state).send()
    })
  return { run, close: () => engine.close() }
}

function undiciDriver(port: number, inflight: number): { run: Driver; close: () => Promise<void> } {
  // Same settings as the baseline's minimal proxy (bench/node-undici-proxy.cjs).
  const pool = new Pool(`http://127.0.0.1:${port}`, {
    connections: Math.max(128, inflight),
    pipelining: 1,
    keepAliveTimeout: 120e3,
    keepAliveMaxTimeout: 600e3,
  })
  const headers = proxyHeaders(port).slice(2) // undici adds Host from the origin
  const opts: Dispatcher.DispatchOptions = { path: '/', method: 'GET', headers }
  const run: Driver = (n, until) =>
    new Promise((resolve) => {
      let count = 0
      let active = n
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd() {
          next()
        },
        onResponseError(_c: Dispatcher.DispatchController, err: Error) {
          console.error('undici error', err)
          next()
        },
      }
      const next = (): void => {
        count++
        if (Date.now() < until) pool.dispatch(opts, handler)
        else if (--active === 0) resolve(count)
      }
      for (let i = 0; i < n; i++) pool.dispatch(opts, handler)
    })
  return { run, close: () => pool.close() }
}

function agentDriver(port: number): { run: Driver; close: () => void } {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: Number.POSITIVE_INFINITY,
    keepAliveMsecs: 60_000,
  })
  const raw = proxyHeaders(port)
  const headers: Record<string, string> = {}
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]] = raw[i + 1]
  const opts: http.RequestOptions = { agent, host: '127.0.0.1', port, path: '/', method: 'GET', headers }
  const run: Driver = (n, until) =>
    new Promise((resolve) => {
      let count = 0
      let active = n
      const next = (): void => {
        count++
        if (Date.now() < until) send()
        else if (--active === 0) resolve(count)
      }
      const send = (): void => {
        const req = http.request(opts, (res) => {
          res.on('data', () => {})
          res.on('end', next)
        })
        req.on('error', (err) => {
          console.error('agent error', err)
          next()
        })
        req.end()
      }
      for (let i = 0; i < n; i++) send()
    })
  return { run, close: () => agent.destroy() }
}

interface Sample {
  rps: number
  cpuUs: number
}

async function measure(run: Driver, inflight: number, seconds: number): Promise<Sample> {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const count = await run(inflight, Date.now() + seconds * 1000)
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  return { rps: count / elapsed, cpuUs: (cpu.user + cpu.system) / count }
}

async function benchUpstream(kind: 'http' | 'raw', o: Options, pin: boolean): Promise<void> {
  const { port, stop } = await startNode(
    [join(import.meta.dirname, 'upstream-server.cjs'), kind, String(o.body)],
    {
      pin,
      cpu: 0,
    },
  )
  try {
    const drivers: Record<string, { run: Driver; close: () => unknown }> = {
      engine: engineDriver(port),
      undici: undiciDriver(port, o.inflight),
      agent: agentDriver(port),
    }
    const names = o.variants.filter((v) => v in drivers)
    const samples: Record<string, Sample[]> = {}
    for (const n of names) {
      samples[n] = []
      await drivers[n].run(o.inflight, Date.now() + 1000) // warm-up (JIT, connections)
    }
    for (let r = 0; r < o.rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length])
      for (const n of order) {
        const s = await measure(drivers[n].run, o.inflight, o.seconds)
        samples[n].push(s)
        process.stderr.write(
          `  round ${r + 1} ${kind} ${n}: ${Math.round(s.rps)} req/s, ${s.cpuUs.toFixed(1)} µs CPU/req\n`,
        )
      }
    }
    for (const n of names) await drivers[n].close()
    const base = samples.undici ? median(samples.undici.map((s) => s.rps)) : Number.NaN
    console.log(
      `\nupstream: ${kind}, body ${o.body} B, ${o.inflight} in flight, ${o.rounds} × ${o.seconds} s${pin ? ', pinned' : ''}`,
    )
    console.log('| client | req/s (median) | min – max | µs CPU/req | vs undici |')
    console.log('|---|--:|--:|--:|--:|')
    for (const n of names) {
      const rps = samples[n].map((s) => s.rps)
      const cpu = median(samples[n].map((s) => s.cpuUs))
      console.log(
        `| ${n} | ${Math.round(median(rps))} | ${Math.round(Math.min(...rps))} – ${Math.round(Math.max(...rps))} | ${cpu.toFixed(1)} | ${(median(rps) / base).toFixed(2)} |`,
      )
    }
  } finally {
    stop()
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const pin = pinSelf(1)
  const kinds: ('http' | 'raw')[] = o.upstream === 'both' ? ['raw', 'http'] : [o.upstream]
  for (const k of kinds) await benchUpstream(k, o, pin)
}

await main()
