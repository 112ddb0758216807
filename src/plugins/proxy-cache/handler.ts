// proxy-cache (plugins.md §6.18): serves cacheable requests from a node-wide cache of upstream
// responses. access: bypass, hit (the stored response, at once), or miss/refresh (proxy, and
// remember the key); header_filter: decide whether the response may be stored; body_filter:
// collect it; log: store it in the primary's dictionary (after the client got its response).
import type { ExitHeaders, Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { api } from './api.js'
import {
  type CacheRules,
  cacheableRequest,
  cacheableResponse,
  needsRefresh,
  parseCacheControl,
  resourceTtl,
} from './cache-control.js'
import { cacheKey, requestUri } from './cache-key.js'
import { primaryFunctions } from './dictionaries.js'
import schema from './schema.js'
import { CACHE_VERSION, type CachedResponse } from './store.js'

/** How long a worker waits for the primary's dictionary before proxying without the cache. */
const PRIMARY_TIMEOUT_MS = 1000

/** Never replayed from the cache. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'content-length',
])

/** Set again on every hit. */
const DIAGNOSTIC = new Set(['age', 'x-cache-status', 'x-cache-key'])

interface Conf {
  rules: CacheRules
  ignoreUriCase: boolean
  storageTtl: number | null
  dictionary: string
  varyQuery: readonly string[] | null
  varyHeaders: readonly string[] | null
  show: { age: boolean; status: boolean; key: boolean }
}

/** What the phases of one request share. */
interface State {
  key: string
  debug: boolean
  /** Set by header_filter when the response may be stored. */
  store?: { status: number; headers: Record<string, string | string[]>; ttl: number }
  body?: Buffer
}

const now = () => Date.now() / 1000

function setStatus(conf: Conf, kong: Kong, debug: boolean, status: string): void {
  if (conf.show.status || debug) kong.response.setHeader('X-Cache-Status', status)
}

function hit(conf: Conf, kong: Kong, state: State, entry: CachedResponse): void {
  const headers: ExitHeaders = {}
  for (const [name, value] of Object.entries(entry.headers)) {
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || DIAGNOSTIC.has(lower) || lower.includes('ratelimit-remaining')) continue
    headers[name] = value
  }
  if (conf.show.age || state.debug) headers.Age = String(Math.floor(now() - entry.timestamp))
  if (conf.show.status || state.debug) headers['X-Cache-Status'] = 'Hit'
  if (conf.show.key || state.debug) headers['X-Cache-Key'] = state.key
  kong.response.exit(entry.status, Buffer.from(entry.body, 'base64'), headers)
}

export default definePlugin(
  schema,
  {
    priority: 100,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      return {
        rules: {
          request_method: config.request_method,
          response_code: config.response_code,
          content_type: config.content_type,
          cache_control: config.cache_control,
          cache_ttl: config.cache_ttl,
        },
        ignoreUriCase: config.ignore_uri_case === true,
        storageTtl: config.storage_ttl ?? null,
        dictionary: config.memory.dictionary_name,
        varyQuery: config.vary_query_params ?? null,
        varyHeaders: config.vary_headers ?? null,
        show: {
          age: config.response_headers.age !== false,
          status: config.response_headers['X-Cache-Status'] !== false,
          key: config.response_headers['X-Cache-Key'] !== false,
        },
      }
    },

    async access(conf, kong) {
      const req = kong.request
      const debug = req.getHeader('kong-debug') !== null
      const method = req.getMethod()
      const cc = parseCacheControl(req.getHeader('cache-control'))
      if (!cacheableRequest(conf.rules, method, cc, req.getHeader('authorization') !== null)) {
        setStatus(conf, kong, debug, 'Bypass')
        return
      }
      const key = cacheKey(
        {
          consumerId: (kong.client.getConsumer()?.id as string | undefined) ?? null,
          routeId: (kong.router.getRoute()?.id as string | undefined) ?? null,
          method,
          uri: requestUri(method, req.getPathWithQuery(), req.getHttpVersion(), conf.ignoreUriCase),
          query: req.getQuery(),
          headers: req.getHeaders(),
        },
        { query: conf.varyQuery, headers: conf.varyHeaders },
      )
      if (conf.show.key || debug) kong.response.setHeader('X-Cache-Key', key)
      const state: State = { key, debug }

      let entry: CachedResponse | null
      try {
        entry = (await kong.primary.call(
          'fetch',
          { dictionary: conf.dictionary, key },
          PRIMARY_TIMEOUT_MS,
        )) as CachedResponse | null
      } catch (err) {
        kong.log.err('could not read the cache: ', err)
        return
      }
      if (entry && entry.version !== CACHE_VERSION) {
        void kong.primary
          .call('purge', { dictionary: conf.dictionary, key }, PRIMARY_TIMEOUT_MS)
          .catch(() => undefined)
        entry = null
      }
      if (!entry) {
        if (conf.rules.cache_control && cc['only-if-cached']) return kong.response.exit(504)
        kong.ctx.plugin.state = state
        setStatus(conf, kong, debug, 'Miss')
        return
      }
      if (needsRefresh(conf.rules, cc, entry, now())) {
        kong.ctx.plugin.state = state
        setStatus(conf, kong, debug, 'Refresh')
        return
      }
      hit(conf, kong, state, entry)
    },

    headerFilter(conf, kong) {
      const state = kong.ctx.plugin.state as State | undefined
      if (!state) return
      const res = kong.response
      const cc = parseCacheControl(res.getHeader('cache-control'))
      const t = now()
      const status = res.getStatus()
      if (
        !cacheableResponse(conf.rules, status, res.getHeader('content-type'), cc, res.getHeader('expires'), t)
      ) {
        kong.ctx.plugin.state = undefined
        setStatus(conf, kong, state.debug, 'Bypass')
        return
      }
      const ttl = conf.rules.cache_control
        ? resourceTtl(cc, res.getHeader('expires'), t)
        : conf.rules.cache_ttl
      const headers: Record<string, string | string[]> = {}
      for (const [name, value] of Object.entries(res.getHeaders(1000)))
        headers[name] = value as string | string[]
      state.store = { status, headers, ttl }
    },

    bodyFilter(_conf, kong) {
      const state = kong.ctx.plugin.state as State | undefined
      if (!state?.store) return
      // The response is held back until its last chunk (cacheable responses only).
      const body = kong.response.getRawBody()
      if (body !== null) state.body = body
    },

    async log(conf, kong) {
      const state = kong.ctx.plugin.state as State | undefined
      if (!state?.store || !state.body) return
      const entry: CachedResponse = {
        status: state.store.status,
        headers: state.store.headers,
        body: state.body.toString('base64'),
        body_len: state.body.length,
        timestamp: Math.floor(now()),
        ttl: state.store.ttl,
        version: CACHE_VERSION,
      }
      const ttl = conf.storageTtl ?? state.store.ttl
      try {
        await kong.primary.call(
          'store',
          { dictionary: conf.dictionary, key: state.key, ttl, entry },
          PRIMARY_TIMEOUT_MS,
        )
      } catch (err) {
        kong.log.err('could not store the response in the cache: ', err)
      }
    },
  },
  { primary: primaryFunctions, api },
)
