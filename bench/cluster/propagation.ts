// Cluster propagation: 3 nodes on one PostgreSQL schema (test/helpers/cluster.ts, the machine's
// database `test`). N writes through the Admin API, the writer node taking turns (A, B, C, A...);
// after each, every OTHER node's proxy is polled back to back until it shows the new behaviour.
// Even writes change a request-termination plugin's message (an update), odd writes create a
// route (a create). Delays are measured from the Admin API's answer (the write has committed).
//
//   npm run bench:cluster
//   node --import tsx bench/cluster/propagation.ts [--writes 100] [--warmup 6] [--workers 1] [--poll 5]
//
// --warmup writes run first, the same way, and are not counted (the first ones also measure
// the JIT compiling the write and apply paths).
//
// --poll is db_update_frequency (Kong's default, 5 s): the fallback poll; changes arrive through
// LISTEN/NOTIFY. Every process listens on 127.0.0.1 and is stopped, and the schema dropped, at
// the end.
import http from 'node:http'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { type Cluster, startCluster } from '../../test/helpers/cluster.js'
import type { Gateway } from '../../test/helpers/gateway.js'

const { values } = parseArgs({
  options: {
    writes: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '6' },
    workers: { type: 'string', default: '1' },
    poll: { type: 'string', default: '5' },
  },
})
const WRITES = Number(values.writes)
const WARMUP = Number(values.warmup)
const WORKERS = Number(values.workers)
/** A node that has not shown a write after this long counts as a failure. */
const GIVE_UP_MS = 30_000

/** One request with a keep-alive agent (one per node): status and body. */
function get(agent: http.Agent, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.setTimeout(5000, () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

async function json(
  node: Gateway,
  method: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${node.admin}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

/** Polls back to back until `shows` holds; the ms since `since`, or null after GIVE_UP_MS. */
async function until(
  agent: http.Agent,
  node: Gateway,
  path: string,
  shows: (r: { status: number; body: string }) => boolean,
  since: number,
): Promise<number | null> {
  for (;;) {
    const r = await get(agent, node.proxyPort, path).catch(() => ({ status: 0, body: '' }))
    const now = performance.now()
    if (shows(r)) return now - since
    if (now - since > GIVE_UP_MS) return null
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(1) : ms.toFixed(0))

function summary(label: string, xs: number[]): string {
  return `${label.padEnd(22)} n=${String(xs.length).padEnd(4)} p50 ${fmt(pct(xs, 50))} ms, p99 ${fmt(pct(xs, 99))} ms, max ${fmt(Math.max(...xs))} ms`
}

async function main(): Promise<void> {
  let cluster: Cluster | undefined
  const stop = async () => {
    await cluster?.stop()
    cluster = undefined
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void stop().finally(() => process.exit(130)))
  try {
    cluster = await startCluster({
      nodes: 3,
      workers: WORKERS,
      env: {
        DB_UPDATE_FREQUENCY: String(values.poll),
        PROXY_ACCESS_LOG: 'off',
        ADMIN_ACCESS_LOG: 'off',
        LOG_LEVEL: 'warn',
      },
    })
    const nodes = cluster.nodes
    const agents = nodes.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }))
    // the plugin short-circuits every request: no upstream is involved (port 9: discard)
    await json(nodes[0], 'POST', '/services', { name: 'bench', url: 'http://127.0.0.1:9' })
    await json(nodes[0], 'POST', '/services/bench/routes', { name: 'base', paths: ['/base'] })
    const plugin = await json(nodes[0], 'POST', '/services/bench/plugins', {
      name: 'request-termination',
      config: { status_code: 200, message: 'm-initial' },
    })
    for (const [i, n] of nodes.entries()) {
      const seen = await until(agents[i], n, '/base', (r) => r.body.includes('m-initial'), performance.now())
      if (seen === null) throw new Error('the initial configuration did not reach every node')
    }

    const updates: number[] = []
    const creates: number[] = []
    let failures = 0
    for (let i = -WARMUP; i < WRITES; i++) {
      const w = (i + WARMUP) % nodes.length
      const writer = nodes[w]
      let path: string
      let shows: (r: { status: number; body: string }) => boolean
      const update = (i + WARMUP) % 2 === 0
      if (update) {
        const message = `m-${i}`
        await json(writer, 'PATCH', `/plugins/${String(plugin.id)}`, { config: { message } })
        path = '/base'
        shows = (r) => r.body.includes(`"${message}"`)
      } else {
        path = `/new-${i}`
        await json(writer, 'POST', '/services/bench/routes', { paths: [path] })
        shows = (r) => r.status === 200
      }
      const acked = performance.now()
      const delays = await Promise.all(
        nodes.map((n, j) => (j === w ? Promise.resolve(-1) : until(agents[j], n, path, shows, acked))),
      )
      for (const [j, d] of delays.entries()) {
        if (j === w || i < 0) continue
        if (d === null) failures++
        else (update ? updates : creates).push(d)
      }
    }
    for (const a of agents) a.destroy()

    const all = [...updates, ...creates]
    console.log(
      `\ncluster propagation: 3 nodes (${WORKERS} worker${WORKERS > 1 ? 's' : ''} each) on PostgreSQL, ` +
        `db_update_frequency ${values.poll} s, ${WRITES} writes taking turns on the nodes ` +
        `(after ${WARMUP} not counted), ` +
        `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`,
    )
    console.log('delay from the Admin API answer on the writer to each other node proxy showing the change:')
    console.log(`  ${summary('all', all)}`)
    console.log(`  ${summary('plugin updates', updates)}`)
    console.log(`  ${summary('route creations', creates)}`)
    if (failures > 0)
      console.log(`  ${failures} node/write pairs never showed the change within ${GIVE_UP_MS} ms`)
    console.log(
      `  Kong (db_update_frequency ${values.poll} s, no notification): a change waits for the next poll, ` +
        `up to ${values.poll} s (about ${Number(values.poll) / 2} s on average)`,
    )
    console.log(
      JSON.stringify({
        bench: 'cluster-propagation',
        writes: WRITES,
        samples: all.length,
        failures,
        p50: pct(all, 50),
        p99: pct(all, 99),
        max: Math.max(...all),
      }),
    )
  } finally {
    await stop()
  }
}

await main()
