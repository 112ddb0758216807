// The engine in its real position: a minimal node:http reverse proxy (minimal-proxy.ts) using our
// engine vs the same proxy using undici Pool.dispatch (the baseline's node-undici-proxy.cjs).
// Layout as in the baseline: load generator and upstream on cpu 0, the proxy alone on cpu 1.
// wrk is not needed: the load generator is this process, driving our engine (the cheapest client
// here) with N requests in flight. The figure that matters is the proxy's own CPU per request.
//
//   node --import tsx bench/upstream/proxy.bench.ts [--seconds 5] [--rounds 3] [--inflight 50]
//        [--body 100] [--upstream raw|http]
import { join } from 'node:path'
import type {
  UpstreamError,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamTarget,
} from '../../src/proxy/upstream/index.js'
import { UpstreamEngine } from '../../src/proxy/upstream/index.js'
import { median, pinSelf, processCpuUs, startNode } from './common.js'

interface Options {
  seconds: number
  rounds: number
  inflight: number
  body: number
  upstream: string
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 5, rounds: 3, inflight: 50, body: 100, upstream: 'raw' }
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options
    if (!(key in o)) throw new Error(`unknown option ${argv[i]}`)
    ;(o as unknown as Record<string, number | string>)[key] =
      key === 'upstream' ? argv[i + 1] : Number(argv[i + 1])
  }
  return o
}

/** Runs `inflight` request loops against `port` until `until`; resolves with the count. */
function load(engine: UpstreamEngine, port: number, inflight: number, until: number): Promise<number> {
  const target: UpstreamTarget = { key: `proxy|${port}`, host: '127.0.0.1', port }
  const request: UpstreamRequest = {
    method: 'GET',
    target: '/',
    headers: ['Host', 'localhost', 'User-Agent', 'bench', 'Accept', '*/*'],
    body: null,
    connectTimeout: 10_000,
    writeTimeout: 10_000,
    readTimeout: 10_000,
  }
  return new Promise((resolve) => {
    let count = 0
    let errors = 0
    let active = inflight
    class Loop implements UpstreamHandler {
      onHeaders(status: number): void {
        if (status !== 200) errors++
      }
      onData(): boolean {
        return true
      }
      onEnd(): void {
        this.next()
      }
      onError(err: UpstreamError): void {
        errors++
        if (errors < 5) console.error('load error', err.message)
        this.next()
      }
      next(): void {
        count++
        if (Date.now() < until) engine.request(target, request, this)
        else if (--active === 0) resolve(errors > 0 ? -errors : count)
      }
    }
    for (let i = 0; i < inflight; i++) engine.request(target, request, new Loop())
  })
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const pin = pinSelf(0)
  const upstream = await startNode(
    [join(import.meta.dirname, 'upstream-server.cjs'), o.upstream, String(o.body)],
    {
      pin,
      cpu: 0,
    },
  )
  const names = ['engine', 'undici']
  const proxies: Record<string, Awaited<ReturnType<typeof startNode>>> = {}
  const engine = new UpstreamEngine()
  try {
    for (const n of names) {
      proxies[n] = await startNode(['--import', 'tsx', join(import.meta.dirname, 'minimal-proxy.ts')], {
        pin,
        cpu: 1,
        env: { PORT: '0', UPSTREAM_PORT: String(upstream.port), CLIENT: n, NODE_ENV: 'production' },
      })
    }
    const samples: Record<string, { rps: number; cpuUs: number }[]> = { engine: [], undici: [] }
    for (const n of names) await load(engine, proxies[n].port, o.inflight, Date.now() + 2000) // warm-up
    for (let r = 0; r < o.rounds; r++) {
      for (const n of r % 2 === 0 ? names : [...names].reverse()) {
        const pid = proxies[n].child.pid!
        const cpu0 = processCpuUs(pid)
        const t0 = process.hrtime.bigint()
        const count = await load(engine, proxies[n].port, o.inflight, Date.now() + o.seconds * 1000)
        if (count < 0) throw new Error(`${n}: ${-count} failed requests`)
        const elapsed = Number(process.hrtime.bigint() - t0) / 1e9
        const s = { rps: count / elapsed, cpuUs: (processCpuUs(pid) - cpu0) / count }
        samples[n].push(s)
        process.stderr.write(
          `  round ${r + 1} ${n}: ${Math.round(s.rps)} req/s, proxy ${s.cpuUs.toFixed(1)} µs CPU/req\n`,
        )
      }
    }
    const base = median(samples.undici.map((s) => s.rps))
    const baseCpu = median(samples.undici.map((s) => s.cpuUs))
    console.log(
      `\nminimal proxy, upstream ${o.upstream}, body ${o.body} B, ${o.inflight} in flight, ${o.rounds} × ${o.seconds} s${pin ? ', pinned' : ''}`,
    )
    console.log(
      '| proxy client | req/s (median) | min – max | proxy µs CPU/req | RPS vs undici | CPU/req vs undici |',
    )
    console.log('|---|--:|--:|--:|--:|--:|')
    for (const n of names) {
      const rps = samples[n].map((s) => s.rps)
      const cpu = median(samples[n].map((s) => s.cpuUs))
      console.log(
        `| ${n} | ${Math.round(median(rps))} | ${Math.round(Math.min(...rps))} – ${Math.round(Math.max(...rps))} | ${cpu.toFixed(1)} | ${(median(rps) / base).toFixed(2)} | ${(cpu / baseCpu).toFixed(2)} |`,
      )
    }
  } finally {
    engine.close()
    for (const p of Object.values(proxies)) p.stop()
    upstream.stop()
  }
}

await main()
