// basic-auth (plugins.md §6.3): `Basic base64(username:password)` in Proxy-Authorization (tried
// first) or Authorization identifies the consumer. Credentials are looked up by username through
// the node cache; the password is checked against the stored salted SHA-1.
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { type AuthFailure, authenticate, credentialConsumer, setConsumer } from '../shared/auth.js'
import { type BasicCredentials, parseBasic, passwordMatches } from './crypto.js'
import { basicauthCredentials, basicauthHooks } from './daos.js'
import { migrations } from './migrations.js'
import schema from './schema.js'

interface Conf {
  anonymous: string | null
  hideCredentials: boolean
  /** The 401 every failure answers with (its WWW-Authenticate carries the realm). */
  failure: AuthFailure
}

/** Parses one header; with hide_credentials it goes, whatever it held (Kong clears it on read). */
function read(conf: Conf, kong: Kong, name: string, value: string | null): BasicCredentials | null {
  const given = parseBasic(value)
  if (conf.hideCredentials) kong.service.request.clearHeader(name)
  return given
}

function lookup(kong: Kong, given: BasicCredentials): Promise<Row | null> {
  return kong.cache.select('basicauth_credentials', 'username', given.username)
}

async function attempt(conf: Conf, kong: Kong): Promise<AuthFailure | null> {
  const authorization = kong.request.getHeader('authorization')
  const proxyAuthorization = kong.request.getHeader('proxy-authorization')
  if (authorization === null && proxyAuthorization === null) return conf.failure

  // Proxy-Authorization first; Authorization only when it names no known credential.
  let given = read(conf, kong, 'proxy-authorization', proxyAuthorization)
  let credential = given ? await lookup(kong, given) : null
  if (!credential) {
    given = read(conf, kong, 'authorization', authorization)
    if (!given) return conf.failure
    credential = await lookup(kong, given)
  }
  if (!credential || !given) return conf.failure
  const consumerId = (credential.consumer as { id?: unknown } | null)?.id
  if (typeof consumerId !== 'string' || !passwordMatches(credential.password, consumerId, given.password)) {
    return conf.failure
  }
  const consumer = await credentialConsumer(kong, credential)
  setConsumer(kong, consumer, credential, credential.username as string)
  return null
}

export default definePlugin(
  schema,
  {
    priority: 1100,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      return {
        anonymous: config.anonymous ?? null,
        hideCredentials: config.hide_credentials === true,
        failure: {
          status: 401,
          message: 'Unauthorized',
          headers: { 'WWW-Authenticate': `Basic realm="${config.realm ?? 'service'}"` },
        },
      }
    },
    access(conf, kong) {
      return authenticate(kong, conf.anonymous, () => attempt(conf, kong))
    },
  },
  { entities: [{ schema: basicauthCredentials, hooks: basicauthHooks }], migrations },
)
