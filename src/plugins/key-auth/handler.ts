// key-auth (plugins.md §6.2): an API key in a header, the query string or the body identifies
// the consumer. Keys are looked up through the node cache (misses ask the primary), so the
// credential set does not live in every worker.
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import {
  type AuthFailure,
  authenticate,
  cachedConsumer,
  credentialConsumer,
  setConsumer,
} from '../shared/auth.js'
import { keyauthCredentials } from './daos.js'
import { migrations } from './migrations.js'
import schema from './schema.js'

interface Conf {
  keyNames: string[]
  /** Lower-case header names, in `key_names` order. */
  lowerNames: string[]
  hideCredentials: boolean
  anonymous: string | null
  inHeader: boolean
  inQuery: boolean
  inBody: boolean
  runOnPreflight: boolean
  /** WWW-Authenticate value of every 401. */
  challenge: string
}

function failure(conf: Conf, message: string): AuthFailure {
  return { status: 401, message, headers: { 'WWW-Authenticate': conf.challenge } }
}

/** Marks that the key may be in the body, which has to be read first. */
const IN_BODY = Symbol('in body')

/**
 * The key from headers and the query string, in `key_names` order, without awaiting. Returns
 * IN_BODY as soon as a name is missing from the head while the body may hold it (the body then
 * has to be read before the later names are tried).
 */
function keyFromHead(conf: Conf, kong: Kong): string | AuthFailure | typeof IN_BODY {
  const headers = conf.inHeader ? kong.request.getHeaders(1000) : null
  let query: Row | null = null
  for (let i = 0; i < conf.keyNames.length; i++) {
    const name = conf.keyNames[i]
    let v: unknown = headers?.[conf.lowerNames[i]]
    if (v === undefined && conf.inQuery) {
      query ??= kong.request.getQuery(1000)
      v = query[name]
    }
    if (typeof v === 'string') {
      if (conf.hideCredentials) {
        kong.service.request.clearHeader(name)
        kong.service.request.clearQueryArg(name)
      }
      return v === '' ? failure(conf, 'No API key found in request') : v
    }
    if (Array.isArray(v)) return failure(conf, 'Duplicate API key found')
    if (v === undefined && conf.inBody) return IN_BODY
  }
  return failure(conf, 'No API key found in request')
}

/**
 * The full search once the body may be needed: for each name in order, the headers, the query
 * string, then the body (form, JSON, multipart).
 */
async function keyWithBody(conf: Conf, kong: Kong): Promise<string | AuthFailure> {
  const headers = conf.inHeader ? kong.request.getHeaders(1000) : null
  let query: Row | null = null
  let body: Row | null = null
  for (let i = 0; i < conf.keyNames.length; i++) {
    const name = conf.keyNames[i]
    let v: unknown = headers?.[conf.lowerNames[i]]
    if (v === undefined && conf.inQuery) {
      query ??= kong.request.getQuery(1000)
      v = query[name]
    }
    if (v === undefined) {
      if (body === null) {
        try {
          body = (await kong.request.getBody()).body
        } catch {
          body = {}
        }
      }
      v = body[name]
    }
    if (typeof v === 'string') {
      if (conf.hideCredentials) {
        kong.service.request.clearHeader(name)
        kong.service.request.clearQueryArg(name)
        if (body !== null && name in body) {
          delete body[name]
          kong.service.request.setBody(body)
        }
      }
      return v === '' ? failure(conf, 'No API key found in request') : v
    }
    if (Array.isArray(v)) return failure(conf, 'Duplicate API key found')
  }
  return failure(conf, 'No API key found in request')
}

async function attempt(
  conf: Conf,
  kong: Kong,
  found: string | AuthFailure | typeof IN_BODY,
): Promise<AuthFailure | null> {
  const key = found === IN_BODY ? await keyWithBody(conf, kong) : found
  if (typeof key !== 'string') return key
  const credential = await kong.cache.select('keyauth_credentials', 'key', key)
  if (!credential) return failure(conf, 'Unauthorized')
  const consumer = await credentialConsumer(kong, credential)
  setConsumer(kong, consumer, credential)
  return null
}

/**
 * The common case without a single await: the key is in the head, and its credential and
 * consumer are cached. Returns false when the slow path has to decide.
 */
function cachedSuccess(kong: Kong, key: string): boolean {
  const cache = kong.cache
  const credential = cache.probe<Row>(cache.entityKey('keyauth_credentials', 'key', key))
  if (!credential) return false
  const consumer = cachedConsumer(kong, credential)
  if (consumer === undefined) return false
  setConsumer(kong, consumer, credential)
  return true
}

export default definePlugin(
  schema,
  {
    priority: 1250,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      const names = config.key_names ?? ['apikey']
      return {
        keyNames: names,
        lowerNames: names.map((n) => n.toLowerCase()),
        hideCredentials: config.hide_credentials === true,
        anonymous: config.anonymous ?? null,
        inHeader: config.key_in_header !== false,
        inQuery: config.key_in_query !== false,
        inBody: config.key_in_body === true,
        runOnPreflight: config.run_on_preflight !== false,
        challenge: config.realm ? `Key realm="${config.realm}"` : 'Key',
      }
    },
    access(conf, kong) {
      if (!conf.runOnPreflight && kong.request.getMethod() === 'OPTIONS') return
      if (conf.anonymous && kong.client.getCredential()) return
      const found = keyFromHead(conf, kong)
      if (typeof found === 'string' && cachedSuccess(kong, found)) return
      return authenticate(kong, conf.anonymous, () => attempt(conf, kong, found))
    },
  },
  { entities: [{ schema: keyauthCredentials }], migrations },
)
