// Latency of requests in flight while the router is rebuilt, on the thread that serves them (as
// in a proxy worker). An HTTP server on this thread answers every request with a router match;
// a client on a worker thread sends requests at a steady rate (open loop: latency counts from
// the time a request was due, so a stalled server cannot hide queued requests) while this
// thread rebuilds a router of N routes every 250 ms: not at all (idle), with compileRouter
// (sync), with compileRouterAsync (async), and with compileRouterAsync given the previous
// router (async+previous). Each rebuild first makes new route objects with one route changed, as
// a proxy snapshot does (in slices of 2,000 routes for the async rows); "build" counts both.
//
//   node --import tsx bench/router/rebuild-latency.ts [--routes 10000] [--seconds 4] [--rate 1000]
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import type { Router, RouterRoute } from '../../src/router/index.js'
import { compileRouter, compileRouterAsync } from '../../src/router/index.js'

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const ROUTES = arg('routes', 10_000)
const SECONDS = arg('seconds', 4)
const RATE = arg('rate', 1000)
const REBUILD_EVERY_MS = 250

function uuid(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
}

/** The configuration of the issue: hosts, prefix paths, 10% regex paths. */
function config(n: number): RouterRoute[] {
  const routes: RouterRoute[] = []
  for (let i = 0; i < n; i++) {
    const paths = i % 10 === 9 ? [`~/api/v\\d+/res${i}/(?<id>\\d+)$`] : [`/api/v${i % 7}/res${i}`]
    routes.push({ id: uuid(i), hosts: [`host${i}.bench.test`], paths })
  }
  return routes
}

/** A route as a proxy snapshot makes it from a store row, with the row's version. */
interface VersionedRoute extends RouterRoute {
  readonly version: number
}

const routeVersion = (r: VersionedRoute) => r.version

/**
 * The next configuration, as a snapshot makes it: new objects for all routes, route k changed.
 * With `sliced`, gives the event loop a turn every 2,000 routes, as `buildSnapshotAsync` does.
 */
async function nextConfig(routes: VersionedRoute[], k: number, sliced: boolean): Promise<VersionedRoute[]> {
  const next: VersionedRoute[] = []
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]
    next.push(
      i === k ? { ...r, methods: r.methods ? null : ['GET', 'POST'], version: r.version + 1 } : { ...r },
    )
    if (sliced && i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve))
  }
  return next
}

let routes: VersionedRoute[] = config(ROUTES).map((r) => ({ ...r, version: 0 }))
let router: Router<VersionedRoute> = compileRouter(routes)

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const m = router.match({
    method: req.method ?? 'GET',
    host: req.headers.host,
    path: req.url ?? '/',
    port: 80,
    headers: req.headers,
    scheme: 'http',
  })
  res.statusCode = m === null ? 404 : 200
  res.end(m === null ? 'no route' : m.route.id)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (server.address() as AddressInfo).port

// The client: plain JavaScript, so the worker needs no TypeScript loader.
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads')
const http = require('node:http')
const { port, rate, seconds, routes } = workerData
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
const latencies = []
let errors = 0
let sent = 0
let done = 0
const total = rate * seconds
const start = performance.now()
function send(due) {
  const i = (sent * 7919) % routes
  const path = i % 10 === 9 ? '/api/v1/res' + i + '/42' : '/api/v' + (i % 7) + '/res' + i + '/x'
  sent++
  const req = http.request({ host: '127.0.0.1', port, path, agent, headers: { host: 'host' + i + '.bench.test' } }, (res) => {
    res.resume()
    res.on('end', () => {
      latencies.push(performance.now() - due)
      if (res.statusCode !== 200) errors++
      if (++done === total) finish()
    })
  })
  req.on('error', () => { errors++; if (++done === total) finish() })
  req.end()
}
function pump() {
  const now = performance.now()
  while (sent < total && start + (sent * 1000) / rate <= now) send(start + (sent * 1000) / rate)
  if (sent < total) setTimeout(pump, 1)
}
function finish() {
  agent.destroy()
  parentPort.postMessage({ latencies, errors })
}
pump()
`

function runClient(): Promise<{ latencies: number[]; errors: number }> {
  const worker = new Worker(CLIENT, {
    eval: true,
    workerData: { port, rate: RATE, seconds: SECONDS, routes: ROUTES },
  })
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => {
      void worker.terminate()
      resolve(m)
    })
    worker.once('error', reject)
  })
}

type Mode = 'idle' | 'sync' | 'async' | 'async+previous'

async function phase(mode: Mode): Promise<string[]> {
  let stop = false
  let builds = 0
  const buildMs: number[] = []
  const rebuilds = (async () => {
    let k = 0
    while (!stop) {
      await new Promise((resolve) => setTimeout(resolve, REBUILD_EVERY_MS))
      if (stop || mode === 'idle') continue
      const t0 = performance.now()
      routes = await nextConfig(routes, k++ % ROUTES, mode !== 'sync')
      if (mode === 'sync') router = compileRouter(routes)
      else if (mode === 'async') router = await compileRouterAsync(routes)
      else router = await compileRouterAsync(routes, { previous: router, routeVersion })
      buildMs.push(performance.now() - t0)
      builds++
    }
  })()
  const { latencies, errors } = await runClient()
  stop = true
  await rebuilds
  latencies.sort((a, b) => a - b)
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]
  buildMs.sort((a, b) => a - b)
  return [
    mode,
    String(builds),
    builds > 0 ? `${buildMs[buildMs.length >> 1].toFixed(1)} ms` : '-',
    `${q(0.5).toFixed(2)} ms`,
    `${q(0.99).toFixed(2)} ms`,
    `${q(0.999).toFixed(2)} ms`,
    `${latencies[latencies.length - 1].toFixed(2)} ms`,
    String(errors),
  ]
}

// Warm-up: JIT, regex translations.
for (let k = 0; k < 3; k++) compileRouter(await nextConfig(routes, k, false))
await phase('idle')

const header = ['rebuilds', 'count', 'build (median)', 'p50', 'p99', 'p99.9', 'max', 'errors']
const rows: string[][] = []
for (const mode of ['idle', 'sync', 'async', 'async+previous'] as Mode[]) rows.push(await phase(mode))
server.close()

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
console.log(
  `node ${process.version}; ${ROUTES.toLocaleString('en-US')} routes, ${RATE} req/s for ${SECONDS} s per row, ` +
    `a rebuild every ${REBUILD_EVERY_MS} ms (after the previous one ends)`,
)
console.log(line(header))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of rows) console.log(line(r))
