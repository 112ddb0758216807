// prometheus: request metrics, exposed at /metrics of the Admin and Status APIs.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'prometheus',
  protocols: typedefs.protocols,
  config: {
    per_consumer: f.boolean({
      default: false,
      description:
        'A boolean value that determines if per-consumer metrics should be collected. If enabled, the `kong_http_requests_total` and `kong_bandwidth_bytes` metrics fill in the consumer label when available.',
    }),
    status_code_metrics: f.boolean({
      default: false,
      description:
        'A boolean value that determines if status code metrics should be collected. If enabled, `http_requests_total`, `stream_sessions_total` metrics will be exported.',
    }),
    ai_metrics: f.boolean({
      default: false,
      description:
        'A boolean value that determines if ai metrics should be collected. If enabled, the `ai_llm_requests_total`, `ai_llm_cost_total` and `ai_llm_tokens_total` metrics will be exported.',
    }),
    latency_metrics: f.boolean({
      default: false,
      description:
        'A boolean value that determines if latency metrics should be collected. If enabled, `kong_latency_ms`, `upstream_latency_ms` and `request_latency_ms` metrics will be exported.',
    }),
    bandwidth_metrics: f.boolean({
      default: false,
      description:
        'A boolean value that determines if bandwidth metrics should be collected. If enabled, `bandwidth_bytes` and `stream_sessions_total` metrics will be exported.',
    }),
    upstream_health_metrics: f.boolean({
      default: false,
      description:
        'A boolean value that determines if upstream metrics should be collected. If enabled, `upstream_target_health` metric will be exported.',
    }),
    wasm_metrics: f.boolean({
      default: false,
      description: 'A boolean value that determines if Wasm metrics should be collected.',
    }),
  },
})
