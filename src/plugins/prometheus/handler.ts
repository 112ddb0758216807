// prometheus (plugins.md §6.20): the log phase records the request in this worker's series
// (store.ts), as the configuration asks: `status_code_metrics` → kong_http_requests_total,
// `latency_metrics` → the three latency histograms, `bandwidth_metrics` → kong_bandwidth_bytes,
// `per_consumer` → the consumer label (the username) of the first and last. Requests without a
// matched route are not recorded. The node's metrics and the sum over workers are made by the
// primary when /metrics is scraped (exporter.ts).
import type { Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import schema from './schema.js'
import { inc, observe } from './store.js'

interface Conf {
  perConsumer: boolean
  status: boolean
  latency: boolean
  bandwidth: boolean
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null)

export default definePlugin(schema, {
  priority: 13,
  version: KONG_COMPAT_VERSION,
  prepare: (config): Conf => ({
    perConsumer: config.per_consumer === true,
    status: config.status_code_metrics === true,
    latency: config.latency_metrics === true,
    bandwidth: config.bandwidth_metrics === true,
  }),
  log(conf, kong) {
    if (!conf.status && !conf.latency && !conf.bandwidth) return
    const message = kong.log.serialize()
    const route = message.route as Row | null
    if (!route) return
    const service = message.service as Row | null
    const serviceName = service ? String(service.name ?? service.host ?? '') : ''
    const routeName = String(route.name ?? route.id ?? '')
    const workspace = String(message.workspace_name ?? '')
    let consumer = ''
    if (conf.perConsumer) {
      const c = message.consumer as Row | null
      if (c && typeof c.username === 'string') consumer = c.username
    }
    if (conf.bandwidth) {
      const ingress = num((message.request as Row | null)?.size)
      const egress = num((message.response as Row | null)?.size)
      if (ingress !== null && ingress > 0)
        inc('bandwidth_bytes', [serviceName, routeName, 'ingress', workspace, consumer], ingress)
      if (egress !== null && egress > 0)
        inc('bandwidth_bytes', [serviceName, routeName, 'egress', workspace, consumer], egress)
    }
    if (conf.status) {
      const status = (message.response as Row | null)?.status
      const source = kong.response.getSource() === 'service' ? 'service' : 'kong'
      inc('http_requests_total', [serviceName, routeName, String(status), source, workspace, consumer], 1)
    }
    if (conf.latency) {
      const l = (message.latencies as Row | null) ?? {}
      const labels = [serviceName, routeName, workspace]
      const request = num(l.request)
      if (request !== null && request >= 0) observe('request_latency_ms', labels, request)
      const upstream = num(l.proxy)
      if (upstream !== null && upstream >= 0) observe('upstream_latency_ms', labels, upstream)
      const k = num(l.kong)
      if (k !== null && k >= 0) observe('kong_latency_ms', labels, k)
    }
  },
})
