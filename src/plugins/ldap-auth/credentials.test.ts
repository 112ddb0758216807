// ldap-auth's pure logic: reading credentials as Kong does, the bind DN, the cache key, and the
// BER of the messages the client sends and reads.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bindRequest, children, parseMessage, parseResult, readTlv, resultResponse, TAG } from './ber.js'
import { bindDn, cacheKey, parseCredentials, schemePattern } from './credentials.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')
const LDAP = schemePattern('ldap')

describe('ldap-auth credentials', () => {
  it('reads `<header_type> base64(user:password)`, case-insensitively, after blanks', () => {
    const c = parseCredentials(`ldap ${b64('einstein:pass:word')}`, LDAP)
    assert.equal(c?.username, 'einstein')
    assert.equal(c?.password.toString(), 'pass:word')
    assert.equal(parseCredentials(`  LDAP\t${b64('a:b')}`, LDAP)?.username, 'a')
    // the user may be empty (Kong's lazy `(.*?)`), the password may not
    assert.equal(parseCredentials(`ldap ${b64(':secret')}`, LDAP)?.username, '')
    assert.equal(parseCredentials(`ldap ${b64('user:')}`, LDAP), null)
    assert.equal(parseCredentials(`ldap ${b64('user')}`, LDAP), null)
    assert.equal(parseCredentials(`ldap${b64('a:b')}`, LDAP), null) // a blank must follow the scheme
    assert.equal(parseCredentials(`Basic ${b64('a:b')}`, LDAP), null)
    assert.equal(parseCredentials('ldap !!!', LDAP), null)
    assert.equal(parseCredentials(null, LDAP), null)
    assert.equal(parseCredentials(`Basic ${b64('a:b')}`, schemePattern('basic'))?.username, 'a')
    // header_type is a word, not a pattern
    assert.equal(parseCredentials(`xy ${b64('a:b')}`, schemePattern('x.')), null)
  })

  it('binds as <attribute>=<user>,<base_dn>', () => {
    assert.equal(bindDn('uid', 'einstein', 'dc=example,dc=com'), 'uid=einstein,dc=example,dc=com')
  })

  it('keys the cache by a hash that depends on every part and never shows the password', () => {
    const conf = {
      ldap_host: 'LDAP.example.com',
      ldap_port: 389,
      base_dn: 'dc=example',
      attribute: 'cn',
      cache_ttl: 60,
      transport: 'ldap',
    }
    const given = { username: 'u', password: Buffer.from('hunter2') }
    const key = cacheKey(conf, given)
    assert.match(key, /^ldap_auth_cache:[0-9a-f]{64}$/)
    assert.equal(cacheKey({ ...conf, ldap_host: 'ldap.example.com' }, given), key)
    assert.notEqual(cacheKey(conf, { ...given, password: Buffer.from('hunter3') }), key)
    assert.notEqual(cacheKey({ ...conf, transport: 'ldaps' }, given), key)
    assert.notEqual(cacheKey({ ...conf, attribute: 'uid' }, given), key)
  })
})

describe('ldap-auth BER', () => {
  it('encodes a simple BindRequest (version 3) in an LDAPMessage', () => {
    const bytes = bindRequest(7, 'cn=a', 'pw')
    const msg = parseMessage(readTlv(bytes)!)
    assert.equal(msg.id, 7)
    assert.equal(msg.op, TAG.BIND_REQUEST)
    const [version, name, auth] = children(msg.body)
    assert.deepEqual([...version.value], [3])
    assert.equal(name.value.toString(), 'cn=a')
    assert.equal(auth.tag, 0x80)
    assert.equal(auth.value.toString(), 'pw')
    // long forms of the length
    const long = bindRequest(300, 'x'.repeat(200), 'p'.repeat(70000))
    const parsed = parseMessage(readTlv(long)!)
    assert.equal(parsed.id, 300)
    assert.equal(children(parsed.body)[2].value.length, 70000)
  })

  it('reads results and waits for whole elements', () => {
    const res = resultResponse(2, TAG.BIND_RESPONSE, 49, 'invalid credentials')
    assert.equal(readTlv(res.subarray(0, res.length - 1)), null)
    const msg = parseMessage(readTlv(res)!)
    assert.equal(msg.op, TAG.BIND_RESPONSE)
    assert.deepEqual(parseResult(msg.body), { code: 49, diagnostic: 'invalid credentials' })
  })
})
