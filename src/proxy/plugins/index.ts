// Which plugin instances apply to a request (plugins.md §2), precomputed per snapshot. For each
// route, the chain lists the plugin types that may run, in execution order, each with the
// instance chosen without a consumer and, when consumer-scoped instances exist, a map from
// consumer id to the instance that wins for that consumer. At access time resolution is then
// one Map lookup per plugin type, never a search over all instances.
//
// Precedence, best first: route+service+consumer, route+consumer, service+consumer,
// route+service, consumer, route, service, global.
import type { Row } from '../../cluster/messages.js'
import { type LoadedPlugin, makeInstance, type PluginInstance } from '../../pdk/instance.js'

export interface ChainEntry {
  plugin: LoadedPlugin
  /** The instance without consumer scoping (route+service, route, service or global), or null. */
  base: PluginInstance | null
  /** Rank of `base` in the precedence list (4, 6, 7, 8), 99 when there is none. */
  baseRank: number
  /** Consumer id → best consumer-scoped instance (rank 1, 2, 3 or 5). */
  byConsumer: Map<string, { instance: PluginInstance; rank: number }> | null
}

export type Chain = readonly ChainEntry[]

/** The instance of a chain entry that applies for a consumer (or none). */
export function resolve(entry: ChainEntry, consumerId: string | null): PluginInstance | null {
  if (consumerId !== null && entry.byConsumer !== null) {
    const c = entry.byConsumer.get(consumerId)
    if (c !== undefined && c.rank < entry.baseRank) return c.instance
  }
  return entry.base
}

interface TypeInstances {
  plugin: LoadedPlugin
  global: PluginInstance | null
  route: Map<string, PluginInstance>
  service: Map<string, PluginInstance>
  routeService: Map<string, PluginInstance>
  consumer: Map<string, PluginInstance>
  routeConsumer: Map<string, PluginInstance[]>
  serviceConsumer: Map<string, PluginInstance[]>
  routeServiceConsumer: Map<string, PluginInstance[]>
  hasConsumerScoped: boolean
}

/** Instances made from unchanged rows are reused across snapshots (prepared once). */
const instances = new WeakMap<Row, PluginInstance>()

/** Plugin types compared for execution order: PRIORITY descending, then name descending. */
function byOrder(a: LoadedPlugin, b: LoadedPlugin): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0
}

const HTTP = ['http', 'https', 'grpc', 'grpcs']

export class PluginIndex {
  private readonly types: TypeInstances[]
  /** Chains by route id, then service id ('' for none): no key is built per request. */
  private readonly chains = new Map<string, Map<string, Chain | null>>()
  /** Whether any instance has a log handler (otherwise requests need no log bookkeeping). */
  readonly logging: boolean
  /** Global instances of types with a rewrite handler, in order (null: none). */
  readonly rewrite: readonly PluginInstance[] | null
  /** Global instances, in order: what runs for requests that matched no route. */
  readonly global: Chain | null
  /** Errors met while preparing instances (logged by the worker). */
  readonly errors: string[] = []

  constructor(
    rows: Iterable<Row>,
    plugins: ReadonlyMap<string, LoadedPlugin>,
    unavailable: (name: string) => LoadedPlugin,
  ) {
    const byType = new Map<string, TypeInstances>()
    for (const row of rows) {
      if (row.enabled === false) continue
      const protocols = row.protocols as string[] | null
      if (protocols && !protocols.some((p) => HTTP.includes(p))) continue
      const name = String(row.name)
      let instance = instances.get(row)
      if (!instance) {
        const plugin = plugins.get(name) ?? unavailable(name)
        try {
          instance = makeInstance(row, plugin)
        } catch (err) {
          this.errors.push(
            `plugin ${name} (${String(row.id)}): ${err instanceof Error ? err.message : String(err)}`,
          )
          instance = makeInstance(row, unavailable(name))
        }
        instances.set(row, instance)
      }
      let t = byType.get(name)
      if (!t) {
        t = {
          plugin: instance.plugin,
          global: null,
          route: new Map(),
          service: new Map(),
          routeService: new Map(),
          consumer: new Map(),
          routeConsumer: new Map(),
          serviceConsumer: new Map(),
          routeServiceConsumer: new Map(),
          hasConsumerScoped: false,
        }
        byType.set(name, t)
      }
      add(t, instance)
    }
    this.types = [...byType.values()].sort((a, b) => byOrder(a.plugin, b.plugin))
    this.logging = this.types.some((t) => t.plugin.handler.log !== undefined)
    const rewrite = this.types.flatMap((t) => (t.global && t.plugin.handler.rewrite ? [t.global] : []))
    this.rewrite = rewrite.length > 0 ? rewrite : null
    const global = this.types.flatMap((t): ChainEntry[] =>
      t.global ? [{ plugin: t.plugin, base: t.global, baseRank: 8, byConsumer: null }] : [],
    )
    this.global = global.length > 0 ? global : null
  }

  get empty(): boolean {
    return this.types.length === 0
  }

  /** The chain for requests on a route (memoized per route). */
  chainFor(routeId: string, serviceId: string | null): Chain | null {
    let byService = this.chains.get(routeId)
    if (byService === undefined) {
      byService = new Map()
      this.chains.set(routeId, byService)
    }
    const key = serviceId ?? ''
    let chain = byService.get(key)
    if (chain === undefined) {
      chain = this.build(routeId, serviceId)
      byService.set(key, chain)
    }
    return chain
  }

  private build(routeId: string, serviceId: string | null): Chain | null {
    const out: ChainEntry[] = []
    const rs = serviceId === null ? null : `${routeId}|${serviceId}`
    for (const t of this.types) {
      let base: PluginInstance | null = null
      let baseRank = 99
      const candidates: [PluginInstance | null | undefined, number][] = [
        [rs === null ? null : t.routeService.get(rs), 4],
        [t.route.get(routeId), 6],
        [serviceId === null ? null : t.service.get(serviceId), 7],
        [t.global, 8],
      ]
      for (const [inst, rank] of candidates) {
        if (inst) {
          base = inst
          baseRank = rank
          break
        }
      }
      let byConsumer: ChainEntry['byConsumer'] = null
      if (t.hasConsumerScoped && !t.plugin.noConsumer) {
        const map = new Map<string, { instance: PluginInstance; rank: number }>()
        const put = (list: Iterable<PluginInstance>, rank: number): void => {
          for (const inst of list) {
            const prev = map.get(inst.consumerId!)
            if (!prev || rank < prev.rank) map.set(inst.consumerId!, { instance: inst, rank })
          }
        }
        put(t.consumer.values(), 5)
        if (serviceId !== null) put(t.serviceConsumer.get(serviceId) ?? [], 3)
        put(t.routeConsumer.get(routeId) ?? [], 2)
        if (rs !== null) put(t.routeServiceConsumer.get(rs) ?? [], 1)
        if (map.size > 0) byConsumer = map
      }
      if (base !== null || byConsumer !== null) out.push({ plugin: t.plugin, base, baseRank, byConsumer })
    }
    return out.length > 0 ? out : null
  }
}

function add(t: TypeInstances, i: PluginInstance): void {
  const { routeId: r, serviceId: s, consumerId: c } = i
  const push = (m: Map<string, PluginInstance[]>, k: string): void => {
    const list = m.get(k)
    if (list) list.push(i)
    else m.set(k, [i])
  }
  if (c !== null) {
    t.hasConsumerScoped = true
    if (r !== null && s !== null) push(t.routeServiceConsumer, `${r}|${s}`)
    else if (r !== null) push(t.routeConsumer, r)
    else if (s !== null) push(t.serviceConsumer, s)
    else t.consumer.set(c, i)
    return
  }
  if (r !== null && s !== null) t.routeService.set(`${r}|${s}`, i)
  else if (r !== null) t.route.set(r, i)
  else if (s !== null) t.service.set(s, i)
  else t.global = i
}
