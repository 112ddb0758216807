// http-log: log entries sent to an HTTP server, one request per entry or per batch.
import { extend, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { customFieldsByLua, legacyQueueFields, queueConfig } from '../shared/logging.js'

/** The userinfo of a URL as socket.url splits it (the authority up to its first `@`). */
export function urlUserinfo(url: string): string | null {
  const m = /^(?:[A-Za-z0-9][A-Za-z0-9+\-.]*:)?\/\/([^/#]*)/.exec(url.split('#')[0])
  if (!m) return null
  const at = m[1].indexOf('@')
  return at === -1 ? null : m[1].slice(0, at)
}

function validateConfig(config: { http_endpoint?: unknown; headers?: unknown }): string | undefined {
  if (typeof config.http_endpoint !== 'string' || urlUserinfo(config.http_endpoint) === null) return undefined
  const headers = config.headers
  if (headers === null || typeof headers !== 'object') return undefined
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization')
      return "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed"
  }
  return undefined
}

export default pluginSchema({
  name: 'http-log',
  protocols: typedefs.protocols,
  config: {
    http_endpoint: extend(typedefs.url, { required: true, encrypted: true, referenceable: true }),
    method: f.string({
      default: 'POST',
      one_of: ['POST', 'PUT', 'PATCH'],
      description:
        'An optional method used to send data to the HTTP server. Supported values are `POST` (default), `PUT`, and `PATCH`.',
    }),
    content_type: f.string({
      default: 'application/json',
      one_of: ['application/json', 'application/json; charset=utf-8'],
      description: 'Indicates the type of data sent. The only available option is `application/json`.',
    }),
    timeout: f.number({
      default: 10000,
      description: 'An optional timeout in milliseconds when sending data to the upstream server.',
    }),
    keepalive: f.number({
      default: 60000,
      description:
        'An optional value in milliseconds that defines how long an idle connection will live before being closed.',
    }),
    ...legacyQueueFields('http-log'),
    headers: f.map(
      extend(typedefs.headerName, {
        // Kong's patterns, as written (the Content-Length one only matches a lower-case `n`)
        match_none: [
          { pattern: /^[Hh][Oo][Ss][Tt]$/, err: "cannot contain 'Host' header" },
          {
            pattern: /^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][n][Gg][Tt][Hh]$/,
            err: "cannot contain 'Content-Length' header",
          },
          {
            pattern: /^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Tt][Yy][Pp][Ee]$/,
            err: "cannot contain 'Content-Type' header",
          },
        ],
      }),
      f.string({ referenceable: true }),
      {
        description:
          'An optional table of headers included in the HTTP message to the upstream server. Values are indexed by header name, and each header name accepts a single string.',
      },
    ),
    queue: queueConfig,
    custom_fields_by_lua: customFieldsByLua,
  },
  configValidator: validateConfig as (value: never) => string | undefined,
})
