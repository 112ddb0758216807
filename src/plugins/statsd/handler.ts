// statsd (plugins.md §6.22): in the log phase, the request's log entry goes on the instance's
// queue (shared/queue.ts); each batch becomes StatsD lines, one per configured metric and entry:
//
//   <prefix>.service.<service>.request.count:1|c           (no tag_style)
//   <prefix>.request.count:1|c|#service:s,route:r,…         (tag_style dogstatsd, and others)
//
// `<service>` is the service's name (or host, id… per service_identifier), dots replaced by `_`;
// requests without a service count under `global.unmatched`. Per-user and status metrics are
// not sent in tag mode (the tags carry that). `allow_status_codes` limits which responses count.
import { hostname } from 'node:os'
import type { Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfigOf, definePlugin } from '../definition.js'
import { type PluginQueue, pluginQueue, warnLegacy } from '../shared/logging.js'
import { enqueue } from '../shared/queue.js'
import { STAT_KINDS, StatsdBatch, statsdLine, type Tags } from './client.js'
import schema from './schema.js'

interface Metric {
  name: string
  kind: string
  sampleRate: number | null
  consumerIdentifier: string
  serviceIdentifier: string
  workspaceIdentifier: string
}

interface Conf {
  host: string
  port: number
  tcp: boolean
  udpPacketSize: number
  /** The metric name prefix (with `.node.<hostname>` when hostname_in_prefix and no tag style). */
  prefix: string
  tagStyle: string | null
  metrics: Metric[]
  /** Allowed status ranges; null: all. */
  ranges: [number, number][] | null
  node: string
  queue: PluginQueue
}

type Config = ConfigOf<typeof schema> & { __plugin_id?: string; plugin_instance_name?: string | null }

const str = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : String(v)

const CONSUMER_ID: Record<string, (c: Row | null) => string | null> = {
  consumer_id: (c) => str(c?.id),
  custom_id: (c) => str(c?.custom_id),
  username: (c) => str(c?.username),
}

const SERVICE_ID: Record<string, (s: Row | null) => string | null> = {
  service_id: (s) => str(s?.id),
  service_name: (s) => str(s?.name),
  service_host: (s) => str(s?.host),
  service_name_or_host: (s) => (s ? (str(s.name) ?? str(s.host)) : null),
}

const WORKSPACE_ID: Record<string, (m: Row) => string | null> = {
  workspace_id: (m) => str(m.workspace),
  workspace_name: (m) => str(m.workspace_name),
}

/** The plain metrics: StatsD name and the value of the entry. */
const PLAIN: Record<string, [string, (m: Row) => unknown]> = {
  request_size: ['request.size', (m) => (m.request as Row).size],
  response_size: ['response.size', (m) => (m.response as Row).size],
  latency: ['latency', (m) => (m.latencies as Row).request],
  upstream_latency: ['upstream_latency', (m) => (m.latencies as Row).proxy],
  kong_latency: ['kong_latency', (m) => (m.latencies as Row).kong],
  request_count: ['request.count', () => 1],
}

const undot = (s: string) => s.replaceAll('.', '_')

function scopeName(message: Row, serviceIdentifier: string): string {
  const service = message.service as Row | null
  if (!service) return 'global.unmatched'
  const name = SERVICE_ID[serviceIdentifier](service)
  return `service.${name === null ? 'unnamed' : undot(name)}`
}

/** Tags of tag mode; null without a service (the line then goes untagged). */
function tagsOf(conf: Conf, message: Row, m: Metric): Tags | null {
  const service = SERVICE_ID[m.serviceIdentifier](message.service as Row | null)
  if (service === null) return null
  const tags: Tags = [['service', service]]
  const route = message.route as Row | null
  if (route) {
    const name = str(route.name) ?? str(route.id)
    if (name !== null) tags.push(['route', name])
  }
  const workspace = WORKSPACE_ID[m.workspaceIdentifier](message)
  if (workspace !== null) {
    tags.push(['workspace', workspace])
    const consumer = CONSUMER_ID[m.consumerIdentifier](message.consumer as Row | null)
    if (consumer !== null) tags.push(['consumer', consumer])
  }
  tags.push(['node', conf.node])
  const status = (message.response as Row | null)?.status
  if (status !== undefined && status !== null) tags.push(['status', status as number])
  return tags
}

function sendMetric(batch: StatsdBatch, conf: Conf, message: Row, m: Metric): void {
  const line = (
    stat: string,
    value: string | number,
    kind = m.kind,
    tags: Tags | null = null,
    rate: number | null = m.sampleRate,
  ) => batch.send(statsdLine(conf.prefix, stat, value, kind, rate, tags, conf.tagStyle))
  const tagged = conf.tagStyle !== null
  const status = (message.response as Row).status as number
  const consumer = () => CONSUMER_ID[m.consumerIdentifier](message.consumer as Row | null)
  switch (m.name) {
    case 'unique_users': {
      if (tagged) return
      const id = consumer()
      if (id !== null) line(`${scopeName(message, m.serviceIdentifier)}.user.uniques`, id, 's', null, null)
      return
    }
    case 'request_per_user': {
      if (tagged) return
      const id = consumer()
      if (id !== null) line(`${scopeName(message, m.serviceIdentifier)}.user.${id}.request.count`, 1, 'c')
      return
    }
    case 'status_count':
      if (!tagged) line(`${scopeName(message, m.serviceIdentifier)}.status.${status}`, 1, 'c')
      return
    case 'status_count_per_user': {
      if (tagged) return
      const id = consumer()
      if (id !== null) line(`${scopeName(message, m.serviceIdentifier)}.user.${id}.status.${status}`, 1, 'c')
      return
    }
    case 'status_count_per_workspace': {
      if (tagged) return
      const ws = WORKSPACE_ID[m.workspaceIdentifier](message)
      if (ws !== null)
        line(`${scopeName(message, m.serviceIdentifier)}.workspace.${ws}.status.${status}`, 1, 'c')
      return
    }
    case 'status_count_per_user_per_route': {
      if (tagged) return
      const id = consumer()
      const route = str((message.route as Row | null)?.id)
      if (id !== null && route !== null) line(`route.${route}.user.${id}.status.${status}`, 1, 'c')
      return
    }
    case 'shdict_usage':
      // nginx shared dictionaries: Silverback has none to report
      return
  }
  const plain = PLAIN[m.name]
  if (!plain) return
  const value = plain[1](message)
  if (typeof value !== 'number' || value === -1) return
  if (tagged) line(plain[0], value, m.kind, tagsOf(conf, message, m))
  else line(`${scopeName(message, m.serviceIdentifier)}.${plain[0]}`, value)
}

async function sendEntries(conf: Conf, messages: Row[]): Promise<void> {
  const batch = await StatsdBatch.open(conf.host, conf.port, conf.tcp, conf.udpPacketSize)
  for (const message of messages) for (const m of conf.metrics) sendMetric(batch, conf, message, m)
  batch.close()
}

/** `"200-299"` → [200, 299], read as Kong does (the first `ddd-ddd` in the text). */
function parseRanges(list: readonly string[] | null | undefined): [number, number][] | null {
  if (!list) return null
  const out: [number, number][] = []
  for (const range of list) {
    const m = /(\d\d\d)-(\d\d\d)/.exec(range)
    if (m) out.push([Number(m[1]), Number(m[2])])
  }
  return out
}

export default definePlugin(schema, {
  priority: 11,
  version: KONG_COMPAT_VERSION,
  prepare(config: Config): Conf {
    const node = undot(hostname())
    const tagStyle = config.tag_style ?? null
    const prefix =
      config.hostname_in_prefix && tagStyle === null ? `${config.prefix}.node.${node}` : config.prefix
    return {
      host: config.host ?? 'localhost',
      port: config.port ?? 8125,
      tcp: config.use_tcp === true,
      udpPacketSize: config.udp_packet_size ?? 0,
      prefix,
      tagStyle,
      metrics: (config.metrics ?? []).map((m) => ({
        name: m.name,
        kind: STAT_KINDS[m.stat_type],
        sampleRate: m.sample_rate ?? null,
        consumerIdentifier: m.consumer_identifier ?? config.consumer_identifier_default,
        serviceIdentifier: m.service_identifier ?? config.service_identifier_default,
        workspaceIdentifier: m.workspace_identifier ?? config.workspace_identifier_default,
      })),
      ranges: parseRanges(config.allow_status_codes),
      node,
      queue: pluginQueue('statsd', config),
    }
  },
  log(conf, kong) {
    if (conf.ranges !== null) {
      const status = kong.response.getStatus()
      if (!conf.ranges.some(([lo, hi]) => status >= lo && status <= hi)) return
    }
    warnLegacy(kong, conf.queue)
    const err = enqueue(conf.queue.params, sendEntries, conf, kong.log.serialize())
    if (err !== null) kong.log.err('Failed to enqueue log entry to StatsD server: ', err)
  },
})
