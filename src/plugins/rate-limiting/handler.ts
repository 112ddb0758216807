// rate-limiting (plugins.md §6.10): fixed UTC windows per period, counted node-wide by the
// primary process (kong.counters) for the `local` policy, so the limits hold across all workers
// of the node. Each check-and-count is one atomic operation: a rejected request is not counted,
// and concurrent requests can never overshoot a limit.
import type { CounterAnswer, ExitHeaders, Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfigOf, definePlugin } from '../definition.js'
import schema, { PERIODS, type Period } from './schema.js'
import { EXPIRATION, resetSeconds, type WindowStarts, windowStarts } from './windows.js'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

const capitalized = (p: Period) => p[0].toUpperCase() + p.slice(1)

interface Limit {
  period: Period
  limit: number
  limitHeader: string
  remainingHeader: string
}

interface Conf {
  limits: Limit[]
  /** Per-limit arrays handed to kong.counters.take. */
  values: number[]
  ttls: number[]
  limitBy: string
  headerName: string | null
  path: string | null
  policy: string
  faultTolerant: boolean
  hideClientHeaders: boolean
  errorCode: number
  errorMessage: string
  /** `<route_id>:<service_id>` of the instance's scope. */
  scope: string
  /** The counter keys of each identifier during the second `at` (see keysFor). */
  keys: { at: number; byId: Map<string, readonly string[]> }
}

/**
 * The counter keys of `id` now. Made once per identifier and second, not per request: the same
 * string objects come back, whose hashes the counters' maps have already computed (hashing a
 * fresh ~80-character key costs more than the rest of the lookup on a small machine).
 */
function keysFor(conf: Conf, id: string, now: number, starts: WindowStarts): readonly string[] {
  const cache = conf.keys
  if (cache.at !== now) {
    cache.at = now
    cache.byId.clear()
  }
  let keys = cache.byId.get(id)
  if (keys === undefined) {
    keys = Object.freeze(
      conf.limits.map((l) => `ratelimit:${conf.scope}:${id}:${starts[l.period]}:${l.period}`),
    )
    if (cache.byId.size < 10_000) cache.byId.set(id, keys)
  }
  return keys
}

function identifier(conf: Conf, kong: Kong): string {
  let id: unknown = null
  switch (conf.limitBy) {
    case 'service':
      id = kong.router.getService()?.id
      break
    case 'consumer':
      id = (kong.client.getConsumer() ?? kong.client.getCredential())?.id
      break
    case 'credential':
      id = kong.client.getCredential()?.id
      break
    case 'header':
      id = conf.headerName === null ? null : kong.request.getHeader(conf.headerName)
      break
    case 'path': {
      const path = kong.request.getPath()
      if (path === conf.path) id = path
      break
    }
  }
  return typeof id === 'string' && id !== '' ? id : kong.client.getForwardedIp()
}

function access(conf: Conf, kong: Kong): void | Promise<void> {
  const now = Math.floor(Date.now() / 1000) * 1000
  const starts = windowStarts(now)
  const id = identifier(conf, kong)
  const keys = keysFor(conf, id, now, starts)
  let answer: CounterAnswer | Promise<CounterAnswer>
  try {
    if (conf.policy !== 'local') throw new Error(`the ${conf.policy} policy is not available in this release`)
    answer = kong.counters.take(keys, conf.values, conf.ttls)
  } catch (err) {
    return failed(conf, kong, err)
  }
  // most takes are answered from the worker's lease, synchronously: no promise, no extra turn
  if (!(answer instanceof Promise)) return limit(conf, kong, answer.usage, starts, now)
  return answer.then(
    (a) => limit(conf, kong, a.usage, starts, now),
    (err: unknown) => failed(conf, kong, err),
  )
}

function failed(conf: Conf, kong: Kong, err: unknown): void {
  if (!conf.faultTolerant) throw err
  kong.log.err('failed to get usage: ', err instanceof Error ? err.message : String(err))
}

/** Sets the headers and refuses the request when a limit is exceeded. */
function limit(conf: Conf, kong: Kong, usage: number[], starts: WindowStarts, now: number): void {
  // The period that stops the request (the longest exceeded one), if any.
  let stop = -1
  for (let i = 0; i < conf.limits.length; i++) if (conf.limits[i].limit - usage[i] <= 0) stop = i

  let headers: ExitHeaders | null = null
  let reset = 1
  if (!conf.hideClientHeaders) {
    headers = {}
    let chosen = -1
    let chosenRemaining = 0
    for (let i = 0; i < conf.limits.length; i++) {
      const l = conf.limits[i]
      let remaining = l.limit - usage[i]
      if (stop === -1 || stop === i) remaining -= 1
      remaining = Math.max(0, remaining)
      // the most restrictive period: lowest remaining, ties to the longer window
      if (chosen === -1 || remaining < chosenRemaining || remaining === chosenRemaining) {
        chosen = i
        chosenRemaining = remaining
      }
      headers[l.limitHeader] = l.limit
      headers[l.remainingHeader] = remaining
    }
    const c = conf.limits[chosen]
    reset = resetSeconds(c.period, starts[c.period], now)
    headers['RateLimit-Limit'] = c.limit
    headers['RateLimit-Remaining'] = chosenRemaining
    headers['RateLimit-Reset'] = reset
  }

  if (stop !== -1) {
    if (headers !== null) headers['Retry-After'] = reset
    kong.response.error(conf.errorCode, conf.errorMessage, headers ?? undefined)
    return
  }
  if (headers !== null) kong.response.setHeaders(headers)
}

type Config = ConfigOf<typeof schema> & { route_id?: string | null; service_id?: string | null }

export default definePlugin(schema, {
  priority: 910,
  version: KONG_COMPAT_VERSION,
  prepare(config: Config): Conf {
    const limits: Limit[] = []
    for (const period of PERIODS) {
      const limit = config[period]
      if (typeof limit !== 'number') continue
      limits.push({
        period,
        limit,
        limitHeader: `X-RateLimit-Limit-${capitalized(period)}`,
        remainingHeader: `X-RateLimit-Remaining-${capitalized(period)}`,
      })
    }
    return {
      limits,
      values: limits.map((l) => l.limit),
      ttls: limits.map((l) => EXPIRATION[l.period]),
      limitBy: config.limit_by ?? 'consumer',
      headerName: config.header_name ?? null,
      path: config.path ?? null,
      policy: config.policy ?? 'local',
      faultTolerant: config.fault_tolerant !== false,
      hideClientHeaders: config.hide_client_headers === true,
      errorCode: config.error_code ?? 429,
      errorMessage: config.error_message ?? 'API rate limit exceeded',
      scope: `${config.route_id ?? ZERO_UUID}:${config.service_id ?? ZERO_UUID}`,
      keys: { at: 0, byId: new Map() },
    }
  },
  access,
})
