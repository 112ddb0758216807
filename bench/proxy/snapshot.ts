// Snapshot rebuild: what a proxy worker does when the configuration changes. For 10,000 and
// 100,000 routes (hosts + prefix paths, 10% regex, the shape of bench/proxy/run.mjs) it
// measures, on a replica filled with full route rows as the primary sends them:
//   - a full synchronous build (buildSnapshot): routes, services and the compiled router; the
//     first one (as at start-up: code not yet optimized, regexes compiled for the first time)
//     and the median of the next ones;
//   - the sliced build the worker runs (buildSnapshotAsync) after one route changed, given the
//     previous snapshot: total time and the longest the event loop was blocked meanwhile;
//   - the heap the worker holds: replica + snapshot, after a full GC.
//
//   node --expose-gc --import tsx bench/proxy/snapshot.ts [--sizes 10000,100000] [--runs 5]
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Row } from '../../src/cluster/messages.js'
import { Replica } from '../../src/proxy/replica.js'
import { buildSnapshot, buildSnapshotAsync, type Snapshot } from '../../src/proxy/snapshot.js'

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : process.argv[i + 1]
}
const SIZES = arg('sizes', '10000,100000').split(',').map(Number)
const RUNS = Math.max(2, Number(arg('runs', '5')))
const gc = (globalThis as { gc?: () => void }).gc

const heapMB = (): number => {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed / 2 ** 20
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function routeRow(i: number, serviceId: string): Row {
  const paths = i % 10 === 9 ? [`~/api/v\\d+/res${i}/(?<id>\\d+)$`] : [`/api/v${i % 7}/res${i}`]
  return {
    id: randomUUID(),
    name: `route-${i}`,
    protocols: ['http', 'https'],
    methods: null,
    hosts: [`host${i}.bench.test`],
    paths,
    headers: null,
    snis: null,
    sources: null,
    destinations: null,
    https_redirect_status_code: 426,
    regex_priority: 0,
    strip_path: true,
    path_handling: 'v0',
    preserve_host: false,
    request_buffering: true,
    response_buffering: true,
    tags: null,
    service: { id: serviceId },
    created_at: 1700000000,
    updated_at: 1700000000,
  }
}

function serviceRow(id: string): Row {
  return {
    id,
    name: 'bench',
    protocol: 'http',
    host: '127.0.0.1',
    port: 8080,
    path: null,
    retries: 5,
    connect_timeout: 60000,
    write_timeout: 60000,
    read_timeout: 60000,
    enabled: true,
    tags: null,
    tls_verify: null,
    tls_verify_depth: null,
    ca_certificates: null,
    client_certificate: null,
    created_at: 1700000000,
    updated_at: 1700000000,
  }
}

/** Runs `fn` beside a setImmediate loop; returns its time and the longest gap between turns. */
async function withBlockWatch(fn: () => Promise<unknown>): Promise<{ ms: number; maxBlockMs: number }> {
  let last = performance.now()
  let maxBlock = 0
  let running = true
  const tick = (): void => {
    const now = performance.now()
    maxBlock = Math.max(maxBlock, now - last)
    last = now
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  const started = performance.now()
  await fn()
  const ms = performance.now() - started
  running = false
  return { ms, maxBlockMs: maxBlock }
}

async function measure(size: number): Promise<string[]> {
  const before = heapMB()
  const serviceId = randomUUID()
  const routes = Array.from({ length: size }, (_, i) => routeRow(i, serviceId))
  const replica = new Replica()
  replica.load(1, { services: [serviceRow(serviceId)], routes })
  routes.length = 0
  const replicaMB = heapMB() - before

  const sync: number[] = []
  let snapshot: Snapshot | null = null
  for (let r = 0; r < RUNS; r++) {
    snapshot = null
    heapMB()
    const t = performance.now()
    snapshot = buildSnapshot(replica)
    sync.push(performance.now() - t)
  }
  const heldMB = heapMB() - before

  const asyncMs: number[] = []
  const blocks: number[] = []
  for (let r = 0; r < RUNS; r++) {
    // One route changes, as after an Admin API write.
    const changed = { ...replica.rows('routes').next().value, paths: [`/changed-${r}`] } as Row
    replica.apply(replica.version + 1, [{ entity: 'routes', operation: 'update', row: changed }])
    const previous = snapshot
    const w = await withBlockWatch(async () => {
      snapshot = await buildSnapshotAsync(replica, previous)
    })
    asyncMs.push(w.ms)
    blocks.push(w.maxBlockMs)
  }
  if (snapshot?.routes !== size) throw new Error(`snapshot has ${snapshot?.routes} routes, expected ${size}`)
  return [
    size.toLocaleString('en-US'),
    sync[0].toFixed(0),
    median(sync.slice(1)).toFixed(0),
    median(asyncMs).toFixed(0),
    `${median(blocks).toFixed(1)} / ${Math.max(...blocks).toFixed(1)}`,
    gc ? replicaMB.toFixed(0) : 'n/a',
    gc ? heldMB.toFixed(0) : 'n/a',
  ]
}

async function main(): Promise<void> {
  if (!gc) console.error('run with --expose-gc for the heap columns')
  const rows = [
    [
      'routes',
      'first build ms',
      'full build ms',
      'rebuild ms (sliced)',
      'longest block ms (median / max)',
      'replica MB',
      'replica+snapshot MB',
    ],
  ]
  for (const size of SIZES) rows.push(await measure(size))
  console.log(`\nproxy snapshot builds, medians of ${RUNS} runs (full build: of runs 2 to ${RUNS})`)
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '))
}

await main()
