// hmac-auth (plugins.md §6.5) through the real gateway and a real upstream: credentials and their
// endpoints, every 401 message and WWW-Authenticate, the date/clock_skew check, signing lines
// (headers, request-line, @request-target), algorithms, enforce_headers, validate_request_body
// with Digest, Proxy-Authorization preference, hide_credentials, anonymous, cache invalidation.
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  message,
  refused,
  routeWithPlugin,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512']
const DIGEST: Record<string, string> = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
}
const DATE_REQUIRED =
  'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication'
const NOT_VALID = 'HMAC signature cannot be verified'
const NOT_SAME = 'HMAC signature does not match'

const httpDate = (offsetSeconds = 0) => new Date(Date.now() + offsetSeconds * 1000).toUTCString()

function signature(secret: string, lines: string[], algorithm = 'hmac-sha1'): string {
  return createHmac(DIGEST[algorithm], secret).update(lines.join('\n')).digest('base64')
}

function hmacHeader(username: string, names: string[], sig: string, algorithm = 'hmac-sha1'): string {
  return `hmac username="${username}", algorithm="${algorithm}", headers="${names.join(' ')}", signature="${sig}"`
}

/** A signed header set: Date plus the credential header over `date` (and `extra` lines). */
function signed(
  username: string,
  secret: string,
  opts: { algorithm?: string; header?: string; date?: string } = {},
): Record<string, string> {
  const date = opts.date ?? httpDate()
  const algorithm = opts.algorithm ?? 'hmac-sha1'
  return {
    date,
    [opts.header ?? 'authorization']: hmacHeader(
      username,
      ['date'],
      signature(secret, [`date: ${date}`], algorithm),
      algorithm,
    ),
  }
}

/** One raw request on a fresh connection (for HTTP/1.0), answered with status and body. */
function rawRequest(port: number, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString()
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(all)?.[1] ?? 0)
      resolve({ status, body: all.slice(all.indexOf('\r\n\r\n') + 4) })
    })
    // HTTP/1.0: the server closes the connection after the response
    socket.write(text)
  })
}

function bodyDigest(body: string): string {
  return `SHA-256=${createHash('sha256').update(body).digest('base64')}`
}

describe('hmac-auth', () => {
  let up: Upstream
  let gw: Gateway
  let bob: Record<string, unknown>
  const SECRET = 'secret'
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
    bob = await admin(gw, 'POST', '/consumers', { username: 'bob', custom_id: 'c-bob' })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  const protectedRoute = (config: Record<string, unknown> = {}, status = 401): Promise<TestRoute> =>
    routeWithPlugin(gw, up.url, 'hmac-auth', config, status)

  function refusedWith(res: ProxyResponse, msg: string, challenge = 'hmac'): void {
    assert.equal(res.status, 401, res.body)
    assert.equal(message(res), msg)
    assert.equal(res.headers['www-authenticate'], challenge)
  }

  describe('credentials', () => {
    it('POST /consumers/{c}/hmac-auth generates a secret or takes the given one; 409 on a duplicate username', async () => {
      const gen = await admin(gw, 'POST', '/consumers/bob/hmac-auth', { username: 'bob-gen' })
      assert.match(gen.secret as string, /^[0-9a-zA-Z]{32}$/)
      assert.deepEqual(gen.consumer, { id: bob.id })
      assert.equal(gen.tags, null)
      const given = await admin(gw, 'POST', '/consumers/bob/hmac-auth', {
        username: 'bob-given',
        secret: 'in clear',
        tags: ['tag1', 'tag2'],
      })
      assert.equal(given.secret, 'in clear')
      assert.deepEqual(given.tags, ['tag1', 'tag2'])
      const dup = await refused(gw, '/consumers/bob/hmac-auth', { username: 'bob-given' })
      assert.equal(dup.status, 409)
      assert.equal(dup.body.message, 'UNIQUE violation detected on \'{username="bob-given"}\'')
    })

    it('refuses bad input in Kong format', async () => {
      const missing = await refused(gw, '/consumers/bob/hmac-auth', {})
      assert.equal(missing.status, 400)
      assert.deepEqual(missing.body.fields, { username: 'required field missing' })
      const orphan = await refused(gw, '/hmac-auths', { username: 'orphan' })
      assert.equal(orphan.body.message, 'schema violation (consumer: required field missing)')
      const put = await request(gw.admin, 'PUT', '/hmac-auths/orphan', { json: {} })
      assert.equal(
        (put.body as Record<string, unknown>).message,
        'schema violation (consumer: required field missing)',
      )
      const secret = await request(gw.admin, 'PUT', '/consumers/bob/hmac-auth/foo', { json: { secret: 123 } })
      assert.equal(secret.status, 400)
      assert.deepEqual((secret.body as Record<string, unknown>).fields, { secret: 'expected a string' })
      const c = await admin(gw, 'POST', '/consumers/bob/hmac-auth', { username: 'bob-patch' })
      const empty = await request(gw.admin, 'PATCH', `/consumers/bob/hmac-auth/${c.id}`, {
        json: { username: '' },
      })
      assert.equal(empty.status, 400)
      assert.deepEqual((empty.body as Record<string, unknown>).fields, {
        username: 'length must be at least 1',
      })
      assert.equal((await refused(gw, '/consumers/nobody/hmac-auth', { username: 'x' })).status, 404)
    })

    it('reads, updates and deletes by id or username, top-level and nested', async () => {
      const put = await admin(gw, 'PUT', '/consumers/bob/hmac-auth/foo', { secret: '1234' })
      assert.equal(put.username, 'foo')
      assert.deepEqual(put.consumer, { id: bob.id })
      assert.equal((await admin(gw, 'GET', `/hmac-auths/${put.id}`)).username, 'foo')
      assert.equal((await admin(gw, 'GET', '/hmac-auths/foo')).id, put.id)
      assert.equal((await admin(gw, 'GET', '/consumers/bob/hmac-auth/foo')).secret, '1234')
      assert.equal((await admin(gw, 'GET', '/hmac-auths/foo/consumer')).username, 'bob')
      const list = await admin(gw, 'GET', '/hmac-auths')
      assert.ok((list.data as { id: string }[]).some((x) => x.id === put.id))
      const nested = await admin(gw, 'GET', '/consumers/bob/hmac-auth')
      assert.ok((nested.data as { id: string }[]).some((x) => x.id === put.id))
      const upd = await admin(gw, 'PATCH', '/consumers/bob/hmac-auth/foo', { username: 'fooUPD' })
      assert.equal(upd.username, 'fooUPD')
      assert.equal(upd.secret, '1234')
      assert.equal((await request(gw.admin, 'GET', '/hmac-auths/foo')).status, 404)
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/bob/hmac-auth/aliceasd')).status, 404)
      assert.equal(
        (await request(gw.admin, 'DELETE', '/consumers/bob/hmac-auth/00000000-0000-0000-0000-000000000000'))
          .status,
        404,
      )
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/bob/hmac-auth/fooUPD')).status, 204)
      assert.equal((await request(gw.admin, 'GET', `/hmac-auths/${put.id}`)).status, 404)
    })

    it('deleting the consumer deletes its credentials', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'short-lived' })
      const c = await admin(gw, 'POST', '/consumers/short-lived/hmac-auth', { username: 'sl' })
      await admin(gw, 'DELETE', '/consumers/short-lived')
      assert.equal((await request(gw.admin, 'GET', `/hmac-auths/${c.id}`)).status, 404)
    })
  })

  describe('plugin configuration', () => {
    it('fills the defaults of plugins.md §6.5', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'hmac-auth' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        hide_credentials: false,
        clock_skew: 300,
        anonymous: null,
        validate_request_body: false,
        enforce_headers: [],
        algorithms: ALGORITHMS,
        realm: null,
      })
    })

    it('refuses bad configurations with 400 and the field at fault', async () => {
      const skew = await refused(gw, '/plugins', { name: 'hmac-auth', config: { clock_skew: -10 } })
      assert.equal(skew.status, 400)
      assert.equal(skew.body.name, 'schema violation')
      assert.deepEqual(skew.body.fields, { config: { clock_skew: 'value must be greater than 0' } })
      const zero = await refused(gw, '/plugins', { name: 'hmac-auth', config: { clock_skew: 0 } })
      assert.deepEqual(zero.body.fields, { config: { clock_skew: 'value must be greater than 0' } })
      const alg = await refused(gw, '/plugins', { name: 'hmac-auth', config: { algorithms: ['sha1024'] } })
      assert.deepEqual(alg.body.fields, {
        config: { algorithms: ['expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512'] },
      })
      const enforce = await refused(gw, '/plugins', {
        name: 'hmac-auth',
        config: { enforce_headers: 'date' },
      })
      assert.deepEqual(enforce.body.fields, { config: { enforce_headers: 'expected an array' } })
      const body = await refused(gw, '/plugins', { name: 'hmac-auth', config: { validate_request_body: 1 } })
      assert.deepEqual(body.body.fields, { config: { validate_request_body: 'expected a boolean' } })
      const scoped = await refused(gw, '/plugins', { name: 'hmac-auth', consumer: { id: bob.id } })
      assert.equal(scoped.status, 400)
      assert.equal((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
    })
  })

  describe('proxying', () => {
    before(async () => {
      await admin(gw, 'POST', '/consumers/bob/hmac-auth', { username: 'bob', secret: SECRET })
    })

    it('401 Unauthorized without a credential header; WWW-Authenticate is hmac or hmac realm="…"', async () => {
      const r = await protectedRoute()
      refusedWith(await send(r.url), 'Unauthorized')
      refusedWith(await send(r.url, { headers: { date: httpDate() } }), 'Unauthorized')
      const realm = await protectedRoute({ realm: 'test-realm' })
      refusedWith(await send(realm.url), 'Unauthorized', 'hmac realm="test-realm"')
      refusedWith(
        await send(realm.url, { headers: { authorization: 'asd' } }),
        DATE_REQUIRED,
        'hmac realm="test-realm"',
      )
    })

    it('needs a Date or X-Date within clock_skew of now (nginx date formats)', async () => {
      const r = await protectedRoute()
      const good = signed('bob', SECRET)
      refusedWith(await send(r.url, { headers: { authorization: good.authorization } }), DATE_REQUIRED)
      // too old / too far ahead
      for (const offset of [-301 - 5, 306]) {
        refusedWith(
          await send(r.url, { headers: signed('bob', SECRET, { date: httpDate(offset) }) }),
          DATE_REQUIRED,
        )
      }
      refusedWith(
        await send(r.url, { headers: { 'x-date': 'wrong date', authorization: good.authorization } }),
        DATE_REQUIRED,
      )
      // X-Date alone, malformed X-Date with a good Date, good X-Date with a malformed Date
      const x = httpDate()
      const xSigned = hmacHeader('bob', ['x-date'], signature(SECRET, [`x-date: ${x}`]))
      assert.equal((await send(r.url, { headers: { 'x-date': x, authorization: xSigned } })).status, 200)
      assert.equal(
        (
          await send(r.url, {
            headers: { 'x-date': 'wrong date', date: good.date, authorization: good.authorization },
          })
        ).status,
        200,
      )
      const badDateSigned = hmacHeader('bob', ['date'], signature(SECRET, ['date: wrong date']))
      assert.equal(
        (await send(r.url, { headers: { 'x-date': x, date: 'wrong date', authorization: badDateSigned } }))
          .status,
        200,
      )
      // RFC 850 form
      const d = new Date()
      const rfc850 = `${d.toUTCString().slice(0, 3)}day, ${d.toUTCString().slice(5, 7)}-${d.toUTCString().slice(8, 11)}-${d.toUTCString().slice(14, 16)} ${d.toUTCString().slice(17)}`
      const s850 = hmacHeader('bob', ['date'], signature(SECRET, [`date: ${rfc850}`]))
      assert.equal((await send(r.url, { headers: { date: rfc850, authorization: s850 } })).status, 200)
    })

    it('clock_skew sets the allowed distance', async () => {
      const tight = await protectedRoute({ clock_skew: 10 })
      refusedWith(
        await send(tight.url, { headers: signed('bob', SECRET, { date: httpDate(-60) }) }),
        DATE_REQUIRED,
      )
      assert.equal((await send(tight.url, { headers: signed('bob', SECRET) })).status, 200)
      const loose = await protectedRoute({ clock_skew: 3600 })
      assert.equal(
        (await send(loose.url, { headers: signed('bob', SECRET, { date: httpDate(-1800) }) })).status,
        200,
      )
    })

    it('401 "HMAC signature cannot be verified": malformed header, missing fields, unknown user', async () => {
      const r = await protectedRoute()
      const date = httpDate()
      const sig = signature(SECRET, [`date: ${date}`])
      for (const authorization of [
        'asd',
        'hmac username',
        `hmac username="bob", algorithm="hmac-sha1", headers="date"`,
        `hmac algorithm="hmac-sha1", headers="date", signature="${sig}"`,
        `hmac username="", algorithm="hmac-sha1", headers="date", signature="${sig}"`,
        `hmac username="bob", algorithm="hmac-sha1", header="date", signature="${sig}"`,
        `hmac username="bob", algorithm="hmac-sha1", headers="date", signatur="${sig}"`,
        hmacHeader('bobb', ['date'], sig),
        hmacHeader('bob', ['date'], sig, 'hmac-sha1024'),
      ]) {
        refusedWith(await send(r.url, { headers: { date, authorization } }), NOT_VALID)
      }
    })

    it('401 "HMAC signature does not match": wrong secret, other lines signed, bad base64', async () => {
      const r = await protectedRoute()
      const date = httpDate()
      for (const sig of [
        signature('wrong', [`date: ${date}`]),
        signature(SECRET, [`date: ${httpDate(-3600)}`]),
        'not base64!',
        signature(SECRET, [`date: ${date}`]).slice(4),
      ]) {
        refusedWith(
          await send(r.url, { headers: { date, authorization: hmacHeader('bob', ['date'], sig) } }),
          NOT_SAME,
        )
      }
      // a signed header changed on the way
      const withMd5 = hmacHeader(
        'bob',
        ['date', 'content-md5'],
        signature(SECRET, [`date: ${date}`, 'content-md5: md5']),
      )
      assert.equal(
        (await send(r.url, { headers: { date, 'content-md5': 'md5', authorization: withMd5 } })).status,
        200,
      )
      refusedWith(
        await send(r.url, { headers: { date, 'content-md5': 'other', authorization: withMd5 } }),
        NOT_SAME,
      )
    })

    it('authenticates and tells the upstream who the consumer is (X-Credential-Identifier = username)', async () => {
      const r = await protectedRoute()
      const headers = signed('bob', SECRET)
      const e = echoed(
        await send(r.url, {
          method: 'POST',
          headers: { ...headers, 'x-consumer-id': 'forged', 'x-anonymous-consumer': 'true' },
        }),
      )
      assert.equal(e.headers['x-consumer-id'], bob.id)
      assert.equal(e.headers['x-consumer-username'], 'bob')
      assert.equal(e.headers['x-consumer-custom-id'], 'c-bob')
      assert.equal(e.headers['x-credential-identifier'], 'bob')
      assert.equal(e.headers['x-anonymous-consumer'], undefined)
      assert.equal(e.headers.authorization, headers.authorization)
      // a header listed but absent is signed as "name:"
      const date = httpDate()
      const absent = hmacHeader(
        'bob',
        ['date', 'x-absent'],
        signature(SECRET, [`date: ${date}`, 'x-absent:']),
      )
      assert.equal((await send(r.url, { headers: { date, authorization: absent } })).status, 200)
    })

    it('accepts every algorithm listed in algorithms, and only those', async () => {
      const all = await protectedRoute()
      for (const algorithm of ALGORITHMS) {
        const e = echoed(await send(all.url, { headers: signed('bob', SECRET, { algorithm }) }))
        assert.equal(e.headers['x-credential-identifier'], 'bob')
      }
      const only = await protectedRoute({ algorithms: ['hmac-sha256', 'hmac-sha512'] })
      assert.equal(
        (await send(only.url, { headers: signed('bob', SECRET, { algorithm: 'hmac-sha256' }) })).status,
        200,
      )
      assert.equal(
        (await send(only.url, { headers: signed('bob', SECRET, { algorithm: 'hmac-sha512' }) })).status,
        200,
      )
      refusedWith(
        await send(only.url, { headers: signed('bob', SECRET, { algorithm: 'hmac-sha1' }) }),
        NOT_VALID,
      )
      refusedWith(
        await send(only.url, { headers: signed('bob', SECRET, { algorithm: 'hmac-sha384' }) }),
        NOT_VALID,
      )
      // the signature must be made with the algorithm named
      const date = httpDate()
      const mixed = hmacHeader(
        'bob',
        ['date'],
        signature(SECRET, [`date: ${date}`], 'hmac-sha512'),
        'hmac-sha256',
      )
      refusedWith(await send(only.url, { headers: { date, authorization: mixed } }), NOT_SAME)
    })

    it('signs the request line: request-line and @request-target, with the raw path and query', async () => {
      const r = await protectedRoute()
      const date = httpDate()
      const line = (m: string, uri: string, v = '1.1') => `${m} ${uri} HTTP/${v}`
      const viaLine = (uri: string, m = 'GET') =>
        hmacHeader('bob', ['date', 'request-line'], signature(SECRET, [`date: ${date}`, line(m, uri)]))
      assert.equal((await send(r.url, { headers: { date, authorization: viaLine(r.path) } })).status, 200)
      const q = `${r.path}?name=foo%20bar&a=1&a=2`
      const e = echoed(await send(`${gw.proxy}${q}`, { headers: { date, authorization: viaLine(q) } }))
      assert.equal(e.url, '/?name=foo%20bar&a=1&a=2')
      // signed without the query, sent with it
      refusedWith(
        await send(`${gw.proxy}${q}`, { headers: { date, authorization: viaLine(r.path) } }),
        NOT_SAME,
      )
      // the method is part of the line
      refusedWith(
        await send(r.url, { method: 'POST', headers: { date, authorization: viaLine(r.path) } }),
        NOT_SAME,
      )
      assert.equal(
        (await send(r.url, { method: 'POST', headers: { date, authorization: viaLine(r.path, 'POST') } }))
          .status,
        200,
      )
      // an encoded path is signed as received
      const enc = `${r.path}/caf%C3%A9`
      assert.equal(
        (await send(`${gw.proxy}${enc}`, { headers: { date, authorization: viaLine(enc) } })).status,
        200,
      )
      // @request-target: "@request-target: <lower-case method> <uri>"
      const target = hmacHeader(
        'bob',
        ['date', '@request-target'],
        signature(SECRET, [`date: ${date}`, `@request-target: get ${q}`]),
      )
      assert.equal((await send(`${gw.proxy}${q}`, { headers: { date, authorization: target } })).status, 200)
      refusedWith(await send(r.url, { headers: { date, authorization: target } }), NOT_SAME)
      // HTTP/1.0 requests sign "HTTP/1.0"
      const v10 = hmacHeader(
        'bob',
        ['date', 'request-line'],
        signature(SECRET, [`date: ${date}`, line('GET', r.path, '1.0')]),
      )
      const raw = await rawRequest(
        gw.proxyPort,
        `GET ${r.path} HTTP/1.0\r\nHost: 127.0.0.1\r\nDate: ${date}\r\nAuthorization: ${v10}\r\n\r\n`,
      )
      assert.equal(raw.status, 200, raw.body)
      const v11 = await rawRequest(
        gw.proxyPort,
        `GET ${r.path} HTTP/1.0\r\nHost: 127.0.0.1\r\nDate: ${date}\r\nAuthorization: ${viaLine(r.path)}\r\n\r\n`,
      )
      assert.equal(v11.status, 401)
    })

    it('enforce_headers: every listed name must be signed', async () => {
      const r = await protectedRoute({ enforce_headers: ['date', 'request-line'] })
      refusedWith(await send(r.url, { headers: signed('bob', SECRET) }), NOT_VALID)
      const date = httpDate()
      const ok = hmacHeader(
        'bob',
        ['date', 'request-line'],
        signature(SECRET, [`date: ${date}`, `GET ${r.path} HTTP/1.1`]),
      )
      assert.equal((await send(r.url, { headers: { date, authorization: ok } })).status, 200)
    })

    it('validate_request_body: the body must match a Digest (SHA-256, base64); no Digest means no body', async () => {
      const r = await protectedRoute({ validate_request_body: true })
      const post = (body: string | undefined, digest: string | null, signDigest = true) => {
        const date = httpDate()
        const names = digest !== null && signDigest ? ['date', 'digest'] : ['date']
        const lines = names.map((n) => (n === 'date' ? `date: ${date}` : `digest: ${digest}`))
        const headers: Record<string, string> = {
          date,
          authorization: hmacHeader('bob', names, signature(SECRET, lines)),
        }
        if (digest !== null) headers.digest = digest
        return send(r.url, { method: body === undefined ? 'GET' : 'POST', headers, body })
      }
      const body = '{"a":"apple","b":"ball"}'
      const e = echoed(await post(body, bodyDigest(body)))
      assert.equal(e.body, body)
      assert.equal((await post(body, bodyDigest(body), false)).status, 200)
      assert.equal((await post(undefined, null)).status, 200)
      assert.equal((await post(undefined, bodyDigest(''))).status, 200)
      refusedWith(await post(body, null), NOT_SAME)
      refusedWith(await post(`${body} `, bodyDigest(body)), NOT_SAME)
      refusedWith(await post(body, bodyDigest('tampered'), false), NOT_SAME)
      refusedWith(await post(body, `SHA-256=${createHash('sha256').update(body).digest('hex')}`), NOT_SAME)
      // without validate_request_body the body is not looked at
      const off = await protectedRoute()
      assert.equal(
        (await send(off.url, { method: 'POST', headers: signed('bob', SECRET), body: 'anything' })).status,
        200,
      )
    })

    it('prefers Proxy-Authorization, falling back to Authorization when it does not parse', async () => {
      const r = await protectedRoute()
      const viaProxy = signed('bob', SECRET, { header: 'proxy-authorization' })
      const e = echoed(await send(r.url, { headers: { ...viaProxy, authorization: 'hello' } }))
      assert.equal(e.headers['x-credential-identifier'], 'bob')
      assert.equal(e.headers.authorization, 'hello')
      assert.equal(e.headers['proxy-authorization'], viaProxy['proxy-authorization'])
      const viaAuth = signed('bob', SECRET)
      const f = echoed(await send(r.url, { headers: { ...viaAuth, 'proxy-authorization': 'hmac username' } }))
      assert.equal(f.headers.authorization, viaAuth.authorization)
      // a parsable Proxy-Authorization is used even when it is wrong
      const date = viaAuth.date
      const wrongProxy = hmacHeader('bob', ['date'], signature('wrong', [`date: ${date}`]))
      refusedWith(await send(r.url, { headers: { ...viaAuth, 'proxy-authorization': wrongProxy } }), NOT_SAME)
    })

    it('hide_credentials removes the header that carried the signature', async () => {
      const r = await protectedRoute({ hide_credentials: true })
      const e = echoed(await send(r.url, { headers: { ...signed('bob', SECRET), other: 'kept' } }))
      assert.equal(e.headers.authorization, undefined)
      assert.equal(e.headers.other, 'kept')
      const p = echoed(
        await send(r.url, {
          headers: { ...signed('bob', SECRET, { header: 'proxy-authorization' }), authorization: 'keep-me' },
        }),
      )
      assert.equal(p.headers['proxy-authorization'], undefined)
      assert.equal(p.headers.authorization, 'keep-me')
    })

    it('anonymous: a missing consumer is a 500, an existing one is let through as anonymous', async () => {
      const missing = await protectedRoute({ anonymous: 'ghost' }, 500)
      const res = await send(missing.url)
      assert.equal(res.status, 500)
      assert.equal(message(res), "anonymous consumer ghost is configured but doesn't exist")
      const anon = await admin(gw, 'POST', '/consumers', { username: 'no-body' })
      const r = await protectedRoute({ anonymous: 'no-body' }, 200)
      for (const headers of [{}, signed('bob', 'wrong'), signed('nobody', SECRET)]) {
        const e = echoed(await send(r.url, { headers }))
        assert.equal(e.headers['x-consumer-id'], anon.id)
        assert.equal(e.headers['x-consumer-username'], 'no-body')
        assert.equal(e.headers['x-anonymous-consumer'], 'true')
        assert.equal(e.headers['x-credential-identifier'], undefined)
      }
      const byId = await protectedRoute({ anonymous: anon.id }, 200)
      const real = echoed(await send(byId.url, { headers: signed('bob', SECRET) }))
      assert.equal(real.headers['x-consumer-id'], bob.id)
      assert.equal(real.headers['x-credential-identifier'], 'bob')
      assert.equal(real.headers['x-anonymous-consumer'], undefined)
    })

    it('with key-auth: logical AND without anonymous, logical OR with it', async () => {
      const carl = await admin(gw, 'POST', '/consumers', { username: 'carl-multi' })
      await admin(gw, 'POST', '/consumers/carl-multi/key-auth', { key: 'carl-multi-key' })
      const anon = await admin(gw, 'POST', '/consumers', { username: 'anon-multi' })
      const and = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${and.routeId}`)
      await addPlugin(gw, { name: 'hmac-auth' }, `/routes/${and.routeId}`)
      await untilProxy(and.url, 401, { headers: { apikey: 'carl-multi-key' } })
      refusedWith(await send(and.url, { headers: { apikey: 'carl-multi-key' } }), 'Unauthorized')
      const both = await send(and.url, { headers: { apikey: 'carl-multi-key', ...signed('bob', SECRET) } })
      assert.equal(echoed(both).headers['x-consumer-id'], bob.id)
      const or = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth', config: { anonymous: anon.id } }, `/routes/${or.routeId}`)
      await addPlugin(gw, { name: 'hmac-auth', config: { anonymous: anon.id } }, `/routes/${or.routeId}`)
      await untilProxy(or.url, 200)
      assert.equal(
        echoed(await send(or.url, { headers: { apikey: 'carl-multi-key', ...signed('bob', SECRET) } }))
          .headers['x-consumer-id'],
        carl.id,
      )
      assert.equal(
        echoed(await send(or.url, { headers: signed('bob', SECRET) })).headers['x-consumer-id'],
        bob.id,
      )
      const none = echoed(await send(or.url))
      assert.equal(none.headers['x-consumer-id'], anon.id)
      assert.equal(none.headers['x-anonymous-consumer'], 'true')
    })

    it('sees credential and consumer changes at once (cache invalidation), including negative entries', async () => {
      const r = await protectedRoute()
      // a miss is cached, then invalidated when the credential is created
      refusedWith(await send(r.url, { headers: signed('dave', 's1') }), NOT_VALID)
      const dave = await admin(gw, 'POST', '/consumers', { username: 'dave' })
      const c = await admin(gw, 'POST', '/consumers/dave/hmac-auth', { username: 'dave', secret: 's1' })
      await untilProxy(r.url, 200, { headers: signed('dave', 's1') })
      // secret change
      await admin(gw, 'PATCH', `/hmac-auths/${c.id}`, { secret: 's2' })
      await untilProxy(r.url, 200, { headers: signed('dave', 's2') })
      refusedWith(await send(r.url, { headers: signed('dave', 's1') }), NOT_SAME)
      // username change
      await admin(gw, 'PATCH', '/consumers/dave/hmac-auth/dave', { username: 'david' })
      await untilProxy(r.url, 200, { headers: signed('david', 's2') })
      refusedWith(await send(r.url, { headers: signed('dave', 's2') }), NOT_VALID)
      // consumer change
      await admin(gw, 'PATCH', `/consumers/${dave.id}`, { username: 'dave2' })
      let last = ''
      for (let i = 0; i < 100 && last !== 'dave2'; i++) {
        last = echoed(await send(r.url, { headers: signed('david', 's2') })).headers[
          'x-consumer-username'
        ] as string
      }
      assert.equal(last, 'dave2')
      // credential deleted
      await admin(gw, 'DELETE', `/hmac-auths/${c.id}`)
      await untilProxy(r.url, 401, { headers: signed('david', 's2') })
      // consumer deleted
      await admin(gw, 'POST', '/consumers/dave2/hmac-auth', { username: 'dave-again', secret: 's3' })
      await untilProxy(r.url, 200, { headers: signed('dave-again', 's3') })
      await admin(gw, 'DELETE', `/consumers/${dave.id}`)
      await untilProxy(r.url, 401, { headers: signed('dave-again', 's3') })
    })
  })
})
