// The worker-side cost of key-auth + rate-limiting per request, without sockets: the real
// handlers, PDK, runner and plugin index, a request state built as the proxy builds it, the
// credential and consumer already cached, and the worker's node-wide counters (leases) talking to
// a primary in the same process (the IPC is left out: with leases it is rare). Phases: access,
// then header_filter on a 200 response.
//
//   node --expose-gc --import tsx bench/plugins/auth-rl.ts
import { performance } from 'node:perf_hooks'
import { CounterTable, encodeKeys, NodeCounters } from '../../src/cluster/counters.js'
import type { Row } from '../../src/cluster/messages.js'
import { loadConf } from '../../src/conf/load.js'
import { Logger } from '../../src/log/logger.js'
import { EntityCache } from '../../src/pdk/cache.js'
import type { LoadedPlugin } from '../../src/pdk/instance.js'
import { type PdkEnv, RequestState } from '../../src/pdk/state.js'
import { PluginRegistry } from '../../src/plugins/registry.js'
import { unavailablePlugin } from '../../src/proxy/plugins/catalog.js'
import { LeasedCounters } from '../../src/proxy/plugins/counters.js'
import { PluginIndex } from '../../src/proxy/plugins/index.js'
import { runAccess, runHeaderFilter } from '../../src/proxy/plugins/runner.js'
import { scanHeaders } from '../../src/proxy/request-head.js'
import { proxySettings } from '../../src/proxy/settings.js'

const BATCH = 5_000
const BATCHES = 30

const conf = loadConf({ searchDefaultPaths: false, env: {} }).conf
const settings = proxySettings(conf)
const { registry } = PluginRegistry.fromSetting(['bundled'])
const loaded = new Map<string, LoadedPlugin>()
for (const def of registry.list()) {
  if (def.handler)
    loaded.set(def.name, {
      name: def.name,
      priority: def.priority,
      version: def.version,
      handler: def.handler,
      noConsumer: def.schema.noConsumer,
    })
}

const consumer = { id: '6f0c8b3e-0000-4000-8000-000000000001', username: 'bench', custom_id: null }
const credential = {
  id: '6f0c8b3e-0000-4000-8000-000000000002',
  key: 'bench-key',
  consumer: { id: consumer.id },
}
const cache = new EntityCache({
  select: async (_e, field, value) =>
    field === 'key' && value === 'bench-key' ? credential : field === 'id' ? consumer : null,
  selectAllFor: async () => [],
})
await cache.select('keyauth_credentials', 'key', 'bench-key')
await cache.select('consumers', 'id', consumer.id)
const primary = new NodeCounters(
  new CounterTable(),
  (_w, id, keys) => {
    setImmediate(() => counters.reclaim(id, encodeKeys(keys)))
    return true
  },
  () => 1,
)
const counters: LeasedCounters = new LeasedCounters((m) => {
  if (m.type === 'counters')
    setImmediate(() => primary.batch(0, m.ops, (r) => setImmediate(() => counters.answer(m.id, r))))
  else if (m.type === 'counters-released') setImmediate(() => primary.released(m.id, m.ops))
})
const env: PdkEnv = {
  log: new Logger({ level: 'warn', file: null }),
  cache,
  counters,
  primary: {
    call: () => Promise.reject(new Error('no primary process in this benchmark')),
  },
  nodeId: 'bench',
  hostname: 'bench',
  configuration: conf,
}

function row(id: string, name: string, config: Row): Row {
  return {
    id,
    name,
    enabled: true,
    protocols: ['http'],
    config,
    route: { id: 'route' },
    service: null,
    consumer: null,
  }
}

const variants: Record<string, Row[]> = {
  none: [],
  'key-auth': [row('p1', 'key-auth', { key_names: ['apikey'], key_in_header: true, key_in_query: true })],
  'rate-limiting': [
    row('p2', 'rate-limiting', { minute: 1e9, limit_by: 'consumer', policy: 'local', fault_tolerant: true }),
  ],
}
variants['key-auth + rate-limiting'] = [...variants['key-auth'], ...variants['rate-limiting']]

const rawHeaders = ['Host', '127.0.0.1:8000', 'apikey', 'bench-key', 'User-Agent', 'wrk', 'Accept', '*/*']
const socket = { remoteAddress: '127.0.0.1', remotePort: 50000 }
const req = {
  method: 'GET',
  url: '/',
  rawHeaders,
  headers: { host: '127.0.0.1:8000', apikey: 'bench-key' },
  socket,
  httpVersion: '1.1',
}

async function measure(rows: Row[]): Promise<number> {
  const chain = new PluginIndex(rows, loaded, unavailablePlugin).chainFor('route', null) ?? []
  const samples: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now()
    for (let i = 0; i < BATCH; i++) {
      const head = scanHeaders(rawHeaders, settings.realIpHeader)
      const s = new RequestState(
        req as never,
        {} as never,
        env,
        settings,
        'id',
        0n,
        head,
        '/',
        { scheme: 'http' } as never,
        '127.0.0.1',
        false,
        {} as never,
        '/',
        '127.0.0.1',
      )
      await new Promise<void>((resolve) => runAccess(s, chain, resolve))
      if (s.exit !== null) throw new Error(`unexpected exit ${s.exit.status}`)
      s.status = 200
      s.headers = ['Content-Type', 'text/plain', 'Content-Length', '100']
      runHeaderFilter(s)
    }
    samples.push(((performance.now() - t0) * 1e3) / BATCH)
  }
  samples.sort((a, b) => a - b)
  return samples[samples.length >> 1]
}

console.log('\nkey-auth + rate-limiting in the runner: µs per request (median of batches)\n')
console.log('| plugins | µs/request |')
console.log('|---|---|')
for (const [name, rows] of Object.entries(variants))
  console.log(`| ${name} | ${(await measure(rows)).toFixed(2)} |`)
