// request-termination: answer every request with a fixed response instead of proxying it.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

function present(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0
}

/** Kong's cross-field rules, reported at `config` (e.g. `{"config": "content_type requires a body"}`). */
export function checkConfig(config: {
  message?: unknown
  content_type?: unknown
  body?: unknown
  echo?: unknown
}): string | undefined {
  if (present(config.message) && (present(config.content_type) || present(config.body)))
    return 'message cannot be used with content_type or body'
  if (present(config.content_type) && !present(config.body)) return 'content_type requires a body'
  if (config.echo === true && (present(config.content_type) || present(config.body)))
    return 'echo cannot be used with content_type and body'
  return undefined
}

export default pluginSchema({
  name: 'request-termination',
  protocols: typedefs.protocolsHttp,
  config: {
    status_code: f.integer({
      required: true,
      default: 503,
      between: [100, 599],
      description: 'The response code to send. Must be an integer between 100 and 599.',
    }),
    message: f.string({ description: 'The message to send, if using the default response generator.' }),
    content_type: f.string({
      description: 'Content type of the raw response configured with `config.body`.',
    }),
    body: f.string({
      description:
        'The raw response body to send. This is mutually exclusive with the `config.message` field.',
    }),
    echo: f.boolean({
      required: true,
      default: false,
      description:
        'When set, the plugin will echo a copy of the request back to the client. The main usecase for this is debugging. It can be combined with `trigger` in order to debug requests on live systems without disturbing real traffic.',
    }),
    trigger: typedefs.headerName,
  },
  configValidator: checkConfig as (value: never) => string | undefined,
})
