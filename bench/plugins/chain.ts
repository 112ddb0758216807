// Plugin-chain micro-benchmark: the per-request cost the runner adds for a plugin whose access
// handler does nothing, and for the per-request state itself. Runs the real runner (runAccess,
// runHeaderFilter, runLog) over the real PluginIndex chain, without sockets.
//
//   node --expose-gc --import tsx bench/plugins/chain.ts
//
// For chains of 0, 1, 10 and 50 empty plugins (each with access, header_filter and log
// handlers, or access only), it times batches of requests (state creation + all phases) and
// reports the median ns per request; "per plugin" is the slope between 0 and 50 plugins.
import { performance } from 'node:perf_hooks'
import type { Row } from '../../src/cluster/messages.js'
import type { LoadedPlugin } from '../../src/pdk/instance.js'
import { type PdkEnv, RequestState } from '../../src/pdk/state.js'
import { unavailablePlugin } from '../../src/proxy/plugins/catalog.js'
import { PluginIndex } from '../../src/proxy/plugins/index.js'
import { runAccess, runHeaderFilter, runLog } from '../../src/proxy/plugins/runner.js'

const BATCH = 20_000
const BATCHES = 40

function emptyPlugins(n: number, allPhases: boolean): { rows: Row[]; loaded: Map<string, LoadedPlugin> } {
  const loaded = new Map<string, LoadedPlugin>()
  const rows: Row[] = []
  for (let i = 0; i < n; i++) {
    const name = `empty-${i}`
    const handler = allPhases
      ? { priority: 1000 + i, version: '1', access() {}, headerFilter() {}, log() {} }
      : { priority: 1000 + i, version: '1', access() {} }
    loaded.set(name, { name, priority: 1000 + i, version: '1', noConsumer: false, handler })
    rows.push({
      id: `p${i}`,
      name,
      enabled: true,
      protocols: ['http'],
      config: {},
      route: null,
      service: null,
      consumer: null,
    })
  }
  return { rows, loaded }
}

// Stand-ins for what the proxy hands the state: the runner reads none of them for empty plugins.
const req = { method: 'GET', headers: {} } as never
const res = {} as never
const env = {} as PdkEnv
const head = { forward: [] } as never

function measure(n: number, allPhases: boolean): number {
  const { rows, loaded } = emptyPlugins(n, allPhases)
  const chain = new PluginIndex(rows, loaded, unavailablePlugin).chainFor('route', 'service') ?? []
  const samples: number[] = []
  let sink = 0
  const done = () => {
    sink++
  }
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now()
    for (let i = 0; i < BATCH; i++) {
      const s = new RequestState(
        req,
        res,
        env,
        {} as never,
        'id',
        0n,
        head,
        '/',
        {} as never,
        '',
        false,
        {} as never,
        '/',
        '',
      )
      runAccess(s, chain, done)
      s.headers = []
      s.status = 200
      runHeaderFilter(s)
      if (allPhases) void runLog(s)
    }
    samples.push(((performance.now() - t0) * 1e6) / BATCH)
  }
  if (sink === 0) throw new Error('nothing ran')
  samples.sort((a, b) => a - b)
  return samples[samples.length >> 1]
}

const rows: string[] = []
for (const allPhases of [false, true]) {
  const label = allPhases ? 'access+header_filter+log' : 'access only'
  const results = [0, 1, 10, 50].map((n) => [n, measure(n, allPhases)] as const)
  const perPlugin = (results[3][1] - results[0][1]) / 50
  for (const [n, ns] of results) rows.push(`| ${label} | ${n} | ${ns.toFixed(0)} |`)
  rows.push(`| ${label} | per plugin (slope 0→50) | ${perPlugin.toFixed(0)} |`)
}
console.log('\nPlugin chain: ns per request (median of batches)\n')
console.log('| handlers | empty plugins | ns/request |')
console.log('|---|---|---|')
for (const r of rows) console.log(r)
