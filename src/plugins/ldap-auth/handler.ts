// ldap-auth (Kong's bundled plugin, priority 1200): `Authorization: ldap base64(user:password)`
// (Proxy-Authorization tried first; the scheme is `header_type`) is checked by a simple bind to
// the directory as `<attribute>=<user>,<base_dn>`. The request is authenticated with a
// credential and no consumer (unless `anonymous` steps in). Answers are cached per worker for
// `cache_ttl` seconds, keyed by a hash of the directory and the credentials; a directory that
// cannot be reached is a 500, never cached.
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { type AuthFailure, authenticate, setConsumer } from '../shared/auth.js'
import { LdapError, ldapBind } from './client.js'
import {
  bindDn,
  cacheKey,
  type KeyConfig,
  type LdapCredentials,
  parseCredentials,
  schemePattern,
} from './credentials.js'
import schema from './schema.js'

interface Conf {
  key: KeyConfig
  ldaps: boolean
  startTls: boolean
  verify: boolean
  timeout: number
  anonymous: string | null
  hideCredentials: boolean
  scheme: RegExp
  failure: AuthFailure
}

/** Binds (through the cache): the credential on success, null when the directory refused. */
function check(conf: Conf, kong: Kong, given: LdapCredentials): Promise<Row | null> {
  const key = cacheKey(conf.key, given)
  return kong.cache.get<Row>(key, { ttl: conf.key.cache_ttl, negTtl: conf.key.cache_ttl }, async () => {
    try {
      const result = await ldapBind({
        host: conf.key.ldap_host,
        port: conf.key.ldap_port,
        ldaps: conf.ldaps,
        startTls: conf.startTls,
        verify: conf.verify,
        timeout: conf.timeout,
        dn: bindDn(conf.key.attribute, given.username, conf.key.base_dn),
        password: given.password,
      })
      if (result.ok) return { id: key, username: given.username }
      kong.log.debug('LDAP bind refused (code ', result.code, '): ', result.diagnostic)
      return null
    } catch (e) {
      if (e instanceof LdapError) kong.log.err(e.message)
      throw e
    }
  })
}

async function attempt(conf: Conf, kong: Kong): Promise<AuthFailure | null> {
  const authorization = kong.request.getHeader('authorization')
  const proxyAuthorization = kong.request.getHeader('proxy-authorization')
  if (authorization === null && proxyAuthorization === null) return conf.failure

  let credential: Row | null = null
  const fromProxy = parseCredentials(proxyAuthorization, conf.scheme)
  if (fromProxy) credential = await check(conf, kong, fromProxy)
  if (!credential) {
    const given = parseCredentials(authorization, conf.scheme)
    if (given) credential = await check(conf, kong, given)
  }
  if (!credential) return conf.failure

  if (conf.hideCredentials) {
    kong.service.request.clearHeader('authorization')
    kong.service.request.clearHeader('proxy-authorization')
  }
  setConsumer(kong, null, credential, credential.username as string)
  return null
}

export default definePlugin(schema, {
  priority: 1200,
  version: KONG_COMPAT_VERSION,
  prepare(config): Conf {
    const headerType = config.header_type ?? 'ldap'
    // `ldap` is announced upper-case, as Kong does for backward compatibility.
    const announced = headerType === 'ldap' ? 'LDAP' : headerType
    return {
      key: {
        ldap_host: config.ldap_host,
        ldap_port: config.ldap_port,
        base_dn: config.base_dn,
        attribute: config.attribute,
        cache_ttl: config.cache_ttl,
        transport: `${config.ldaps ? 'ldaps' : config.start_tls ? 'start_tls' : 'ldap'}${config.verify_ldap_host ? '+verify' : ''}`,
      },
      ldaps: config.ldaps,
      startTls: config.start_tls,
      verify: config.verify_ldap_host,
      timeout: config.timeout ?? 10000,
      anonymous: config.anonymous ?? null,
      hideCredentials: config.hide_credentials === true,
      scheme: schemePattern(headerType),
      failure: {
        status: 401,
        message: 'Unauthorized',
        headers: { 'WWW-Authenticate': config.realm ? `${announced} realm="${config.realm}"` : announced },
      },
    }
  },
  access(conf, kong) {
    return authenticate(kong, conf.anonymous, () => attempt(conf, kong))
  },
})
