// request-termination (plugins.md §6.13): ends the request with a configured response, a raw
// body, or (echo) a JSON copy of the request; with `trigger`, only requests carrying that header
// or query argument are terminated.
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import schema from './schema.js'

/** Kong's default messages; other statuses without `message` get no body. */
export const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
}

interface Conf {
  status: number
  /** `message` or the status's default; null: no message. */
  message: string | null
  /** The exit body when not echoing: the raw body, or `{message}`, or none. */
  body: string | Row | null
  headers: Record<string, string> | undefined
  echo: boolean
  trigger: string | null
}

/** Echo mode: exits with the request as Kong describes it (body read, hence async). */
async function echo(conf: Conf, kong: Kong): Promise<void> {
  const req = kong.request
  let body: Row | undefined
  try {
    body = (await req.getBody()).body
  } catch {
    body = undefined // Kong: get_body() returned nil (no or unknown content type, bad JSON)
  }
  const raw = await req.getRawBody()
  kong.response.exit(conf.status, {
    message: conf.message ?? undefined,
    kong: {
      node_id: kong.node.getId(),
      worker_pid: process.pid,
      hostname: kong.node.getHostname(),
    },
    request: {
      scheme: req.getScheme(),
      host: req.getHost(),
      port: req.getPort(),
      headers: req.getHeaders(),
      query: req.getQuery(),
      body,
      raw_body: raw.toString('utf8'),
      method: req.getMethod(),
      path: req.getPath(),
      uri_captures: req.getUriCaptures(),
    },
    matched_route: kong.router.getRoute() ?? undefined,
    matched_service: kong.router.getService() ?? undefined,
  })
}

export default definePlugin(schema, {
  priority: 2,
  version: KONG_COMPAT_VERSION,
  prepare(config): Conf {
    const status = config.status_code
    const message = config.message ?? DEFAULT_MESSAGES[status] ?? null
    let body: string | Row | null = null
    let headers: Record<string, string> | undefined
    if (config.body !== null) {
      body = config.body
      if (config.content_type !== null) headers = { 'Content-Type': config.content_type }
    } else if (message !== null) body = { message }
    return { status, message, body, headers, echo: config.echo, trigger: config.trigger }
  },
  access(conf, kong) {
    if (conf.trigger !== null) {
      const req = kong.request
      // Present at all (even empty, or a valueless query argument) counts.
      if (req.getHeader(conf.trigger) === null && req.getQueryArg(conf.trigger) === null) return
    }
    if (conf.echo) return echo(conf, kong)
    kong.response.exit(conf.status, conf.body, conf.headers)
  },
})
