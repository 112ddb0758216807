// Router micro-benchmark: build time, heap and ns per match at 1, 1k, 10k and 100k routes for
// three route shapes; then the sliced build (compileRouterAsync) at 10k and 100k routes: total
// time, and the longest the event loop was blocked while it ran. Bounded in time (~40 s).
//
//   node --expose-gc --import tsx bench/router/bench.ts [--quick]
//
// Without --expose-gc the heap column is "n/a". ns/match is the median over batches of
// matches (after warm-up) cycling through 1024 requests that hit random routes (plus 1 in 16
// that matches nothing), with the match cache on (default size) and off.
//
// Sliced builds: a `setImmediate` loop runs beside the build and timestamps every turn of the
// event loop; the longest gap between two turns is the longest block (a slice of the build,
// plus any garbage-collection pause or preemption of the process). "rebuild" is a build given
// the previous router (`opts.previous`, one route changed, all route objects new as in a
// proxy snapshot, unchanged ones recognised by `routeVersion`). Each figure is the median of
// the runs, the longest block also as the worst run.
import { performance } from 'node:perf_hooks'
import type { RequestAttributes, Router, RouterRoute } from '../../src/router/index.js'
import { compileRouter, compileRouterAsync, normalizeRequestPath } from '../../src/router/index.js'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [1, 1_000, 10_000] : [1, 1_000, 10_000, 100_000]
const SAMPLES = 1024
const BATCH = 2048
const BATCHES = quick ? 25 : 60

type Shape = 'host+prefix' | 'prefix' | 'regex 10%'

interface Scenario {
  routes: RouterRoute[]
  requests: RequestAttributes[]
}

function uuid(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
}

/** Deterministic pseudo-random integers (the benchmark must be reproducible). */
function rng(seed: number): (n: number) => number {
  let s = seed
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s % n
  }
}

function attrs(method: string, host: string, path: string): RequestAttributes {
  return { method, host, path, port: 8000, headers: { accept: '*/*' }, scheme: 'http' }
}

function scenario(shape: Shape, n: number): Scenario {
  const routes: RouterRoute[] = []
  const hostCount = Math.max(1, Math.ceil(n / 10))
  for (let i = 0; i < n; i++) {
    const id = uuid(i)
    if (shape === 'host+prefix') {
      routes.push({ id, hosts: [`h${i % hostCount}.example.com`], paths: [`/svc${i}/v1`] })
    } else if (shape === 'regex 10%' && i % 10 === 0) {
      routes.push({ id, paths: [`~/svc${i}/items/(?<item>\\d+)$`] })
    } else {
      routes.push({ id, paths: [`/svc${i}/v1`], methods: i % 4 === 0 ? ['GET', 'POST'] : undefined })
    }
  }
  const r = rng(42)
  const requests: RequestAttributes[] = []
  for (let k = 0; k < SAMPLES; k++) {
    const i = r(n)
    const miss = k % 16 === 15
    const host = shape === 'host+prefix' ? `h${i % hostCount}.example.com` : 'api.example.com'
    let path = `/svc${i}/v1/items/${k}`
    if (shape === 'regex 10%' && i % 10 === 0) path = `/svc${i}/items/${k}`
    if (miss) path = `/nothing/${k}`
    requests.push(attrs('GET', host, path))
  }
  return { routes, requests }
}

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc
  if (!g) return false
  g()
  g()
  return true
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

let sink = 0

/** Median ns per match over BATCHES batches of BATCH matches, after a warm-up. */
function nsPerMatch(router: Router, requests: RequestAttributes[]): number {
  const run = (count: number, start: number) => {
    for (let k = 0; k < count; k++) {
      const m = router.match(requests[(start + k) & (SAMPLES - 1)])
      if (m !== null) sink++
    }
  }
  run(BATCH * 10, 0)
  const samples: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now()
    run(BATCH, b * BATCH)
    samples.push(((performance.now() - t0) * 1e6) / BATCH)
  }
  return median(samples)
}

function fmtNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length)
}

const header = ['shape', 'routes', 'build', 'heap', 'match (cache)', 'match (no cache)', 'hits']
const rows: string[][] = []
const started = performance.now()
const hasGc = gc()

for (const shape of ['host+prefix', 'prefix', 'regex 10%'] as Shape[]) {
  for (const n of SIZES) {
    const { routes, requests } = scenario(shape, n)
    gc()
    const heap0 = process.memoryUsage().heapUsed
    const t0 = performance.now()
    const router = compileRouter(routes)
    const buildMs = performance.now() - t0
    gc()
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024
    if (router.errors.length > 0) throw new Error(`build errors: ${router.errors[0].message}`)
    const uncached = compileRouter(routes, { cacheSize: 0 })
    const hits = requests.filter((q) => router.match(q) !== null).length
    const cachedNs = nsPerMatch(router, requests)
    const uncachedNs = nsPerMatch(uncached, requests)
    rows.push([
      shape,
      n.toLocaleString('en-US'),
      `${buildMs.toFixed(1)} ms`,
      hasGc ? `${heapMb.toFixed(1)} MB` : 'n/a',
      fmtNs(cachedNs),
      fmtNs(uncachedNs),
      `${hits}/${SAMPLES}`,
    ])
  }
}

// The per-request path normalization the proxy performs before matching.
const paths = ['/svc123/v1/items/42', '/svc123/v1/items/42?x=1', '/a/%7Euser/../b//c']
const normNs: string[] = []
for (const p of paths) {
  const t0 = performance.now()
  const N = 1_000_000
  for (let k = 0; k < N; k++) sink += normalizeRequestPath(p).length
  normNs.push(`${JSON.stringify(p)}: ${fmtNs(((performance.now() - t0) * 1e6) / N)}`)
}

/** Runs `work` beside a `setImmediate` loop: the longest gap between turns, and the turns. */
async function watchLoop(
  work: () => Promise<unknown>,
): Promise<{ ms: number; longestMs: number; turns: number }> {
  let last = performance.now()
  let longestMs = 0
  let turns = 0
  let running = true
  const tick = () => {
    const now = performance.now()
    if (now - last > longestMs) longestMs = now - last
    last = now
    turns++
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  const t0 = performance.now()
  await work()
  const end = performance.now()
  running = false
  return { ms: end - t0, longestMs: Math.max(longestMs, end - last), turns }
}

/** The next configuration of a proxy snapshot: new objects for all routes, route `k` changed. */
function nextConfig(routes: RouterRoute[], k: number, version: Map<RouterRoute, number>): RouterRoute[] {
  const next = routes.map((r) => {
    const copy = { ...r }
    version.set(copy, version.get(r) ?? 0)
    return copy
  })
  const changed = { ...next[k], paths: [`/changed${k}`] }
  version.set(changed, (version.get(next[k]) ?? 0) + 1)
  next[k] = changed
  return next
}

const ASYNC_SIZES = quick ? [10_000] : [10_000, 100_000]
const asyncHeader = [
  'shape',
  'routes',
  'sync build',
  'async build',
  'longest block',
  'turns',
  'rebuild (previous)',
  'its longest block',
]
const asyncRows: string[][] = []
const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`
for (const shape of ['host+prefix', 'regex 10%'] as Shape[]) {
  for (const n of ASYNC_SIZES) {
    const runs = n >= 100_000 ? 3 : 7
    let routes = scenario(shape, n).routes
    const version = new Map<RouterRoute, number>(routes.map((r) => [r, 0]))
    const routeVersion = (r: RouterRoute) => version.get(r)
    const sync: number[] = []
    const full: Array<{ ms: number; longestMs: number; turns: number }> = []
    const re: Array<{ ms: number; longestMs: number; turns: number }> = []
    let previous = compileRouter(routes)
    for (let k = 0; k < runs; k++) {
      gc()
      const t0 = performance.now()
      compileRouter(routes)
      sync.push(performance.now() - t0)
      gc()
      full.push(await watchLoop(() => compileRouterAsync(routes)))
      routes = nextConfig(routes, k, version)
      gc()
      let rebuilt: Router | undefined
      re.push(
        await watchLoop(async () => {
          rebuilt = await compileRouterAsync(routes, { previous, routeVersion })
        }),
      )
      previous = rebuilt as Router
    }
    const worst = (xs: Array<{ longestMs: number }>) => Math.max(...xs.map((x) => x.longestMs))
    asyncRows.push([
      shape,
      n.toLocaleString('en-US'),
      fmtMs(median(sync)),
      fmtMs(median(full.map((x) => x.ms))),
      `${fmtMs(median(full.map((x) => x.longestMs)))} (worst ${fmtMs(worst(full))})`,
      String(median(full.map((x) => x.turns))),
      fmtMs(median(re.map((x) => x.ms))),
      `${fmtMs(median(re.map((x) => x.longestMs)))} (worst ${fmtMs(worst(re))})`,
    ])
  }
}

function table(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i])).join(' | ')} |`
  console.log(line(head))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const r of body) console.log(line(r))
}

console.log(`node ${process.version}, ${process.arch}; ns/match = median of ${BATCHES} batches × ${BATCH}`)
table(header, rows)
console.log(`normalizeRequestPath: ${normNs.join('; ')}`)
console.log('')
console.log('Sliced build (compileRouterAsync, sliceMs 4): median of 7 runs (3 at 100k)')
table(asyncHeader, asyncRows)
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s (sink ${sink > 0 ? 'ok' : 0})`)
