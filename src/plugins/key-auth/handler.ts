// key-auth (plugins.md §6.2): an API key in a header, the query string or the body identifies
// the consumer. Keys are looked up through the node cache (misses ask the primary), so the
// credential set does not live in every worker.
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { type AuthFailure, authenticate, credentialConsumer, setConsumer } from '../shared/auth.js'
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

async function attempt(conf: Conf, kong: Kong): Promise<AuthFailure | null> {
  let key: string | null = null
  let body: Row | null = null
  const headers = conf.inHeader ? kong.request.getHeaders(1000) : null
  let query: Row | null = null
  for (let i = 0; i < conf.keyNames.length; i++) {
    const name = conf.keyNames[i]
    let v: unknown = headers?.[conf.lowerNames[i]]
    if (v === undefined && conf.inQuery) {
      query ??= kong.request.getQuery(1000)
      v = query[name]
    }
    if (v === undefined && conf.inBody) {
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
      key = v
      if (conf.hideCredentials) {
        kong.service.request.clearHeader(name)
        kong.service.request.clearQueryArg(name)
        if (conf.inBody && body !== null && name in body) {
          delete body[name]
          kong.service.request.setBody(body)
        }
      }
      break
    }
    if (Array.isArray(v)) return failure(conf, 'Duplicate API key found')
  }
  if (key === null || key === '') return failure(conf, 'No API key found in request')
  const credential = await kong.cache.select('keyauth_credentials', 'key', key)
  if (!credential) return failure(conf, 'Unauthorized')
  const consumer = await credentialConsumer(kong, credential)
  setConsumer(kong, consumer, credential)
  return null
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
      return authenticate(kong, conf.anonymous, () => attempt(conf, kong))
    },
  },
  { entities: [{ schema: keyauthCredentials }], migrations },
)
