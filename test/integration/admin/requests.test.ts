// Request handling (admin-api.md §2, §3): body content types and decoding (JSON, form-urlencoded,
// multipart), 400/415 rules, argument limits, query parameters, paths (trailing slashes, percent
// encoding), HEAD/OPTIONS/404/405, CORS (with and without admin_gui_url), the body size limit,
// response headers (Server, X-Kong-Admin-Latency and the `headers` setting), and listeners.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, request } from '../../helpers/gateway.js'
import { RSA_CERT, RSA_KEY } from './fixtures.js'
import {
  type Client,
  client,
  create,
  multipart,
  rawRequest,
  spawnGateway,
  startAdmin,
  uniq,
} from './helpers.js'

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

describe('admin api: request handling', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  describe('content types', () => {
    it('application/json, with parameters, is accepted', async () => {
      const res = await api.send('POST', '/consumers', {
        raw: JSON.stringify({ username: uniq('u') }),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      })
      assert.equal(res.status, 201, res.text)
    })

    it('an unsupported Content-Type → 415 with an empty body', async () => {
      const res = await api.send('POST', '/consumers', {
        raw: 'username=x',
        headers: { 'content-type': 'invalid' },
      })
      assert.equal(res.status, 415)
      assert.equal(res.text, '')
      const xml = await api.send('PUT', `/consumers/${uniq('u')}`, {
        raw: '<a/>',
        headers: { 'content-type': 'text/xml' },
      })
      assert.equal(xml.status, 415)
    })

    it('application/yaml is only for /config', async () => {
      const res = await api.send('POST', '/consumers', {
        raw: 'username: x',
        headers: { 'content-type': 'application/yaml' },
      })
      assert.equal(res.status, 415)
    })

    it('no Content-Type with a body → 415; without a body → an empty payload', async () => {
      const withBody = await rawRequest(gw, 'POST', '/consumers', [], 'username=x')
      assert.equal(withBody.status, 415)
      assert.equal(withBody.text, '')
      const empty = await rawRequest(gw, 'POST', '/consumers', [['Content-Length', '0']])
      assert.equal(empty.status, 400, empty.text)
      assert.deepEqual(JSON.parse(empty.text).fields, {
        '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
      })
      const put = await rawRequest(gw, 'PUT', `/consumers/${uniq('u')}`, [])
      assert.equal(put.status, 200, `PUT by username with no body: ${put.text}`)
    })

    it('more than one Content-Type header → 400 plain text', async () => {
      const res = await rawRequest(
        gw,
        'POST',
        '/consumers',
        [
          ['Content-Type', 'application/json'],
          ['Content-Type', 'application/json'],
        ],
        JSON.stringify({ username: uniq('u') }),
      )
      assert.equal(res.status, 400)
      assert.equal(res.text, 'Multiple Content-Type headers not allowed')
      assert.match(String(res.headers['content-type']), /^text\/plain/)
      assert.equal(res.headers['access-control-allow-origin'], '*')
      assert.equal(res.headers.server, `silverback/${VERSION}`)
    })

    it('malformed or missing JSON → 400 Cannot parse JSON body', async () => {
      for (const raw of ['{bad', '', '{"username": "x"']) {
        const res = await api.send('POST', '/consumers', {
          raw,
          headers: { 'content-type': 'application/json' },
        })
        assert.equal(res.status, 400, JSON.stringify(raw))
        assert.deepEqual(res.body, { message: 'Cannot parse JSON body' })
      }
      const patch = await api.send('PATCH', `/consumers/${randomUUID()}`, {
        raw: '{',
        headers: { 'content-type': 'application/json' },
      })
      assert.deepEqual(patch.body, { message: 'Cannot parse JSON body' })
    })

    it('GET and DELETE bodies are ignored, even malformed', async () => {
      const c = await create(api, '/consumers', { username: uniq('u') })
      const get = await rawRequest(
        gw,
        'GET',
        `/consumers/${c.id}`,
        [['Content-Type', 'application/json']],
        '{bad',
      )
      assert.equal(get.status, 200)
      const del = await rawRequest(gw, 'DELETE', `/consumers/${c.id}`, [['Content-Type', 'text/xml']], '<bad')
      assert.equal(del.status, 204)
    })

    it('JSON values are not coerced', async () => {
      const res = await api.post('/services', { host: 'a.test', port: '80', enabled: 'true' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, { port: 'expected an integer', enabled: 'expected a boolean' })
    })

    it('JSON null explicitly clears a field', async () => {
      const s = await create(api, '/services', { host: 'a.test', path: '/p', tags: ['x'] })
      const res = await api.patch(`/services/${s.id}`, { path: null, tags: null })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.path, null)
      assert.equal(res.body.tags, null)
    })
  })

  describe('form-encoded and multipart decoding', () => {
    it('repeated keys make an array; a single value is wrapped for array fields', async () => {
      const res = await api.form('POST', '/routes', 'paths=/a&paths=/b&methods=GET&hosts=one.test')
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.paths, ['/a', '/b'])
      assert.deepEqual(res.body.methods, ['GET'])
      assert.deepEqual(res.body.hosts, ['one.test'])
    })

    it('a[]=x&a[]=y in order; a[1]=x&a[2]=y by 1-based position', async () => {
      const push = await api.form('POST', '/routes', 'paths[]=/x&paths[]=/y')
      assert.deepEqual(push.body.paths, ['/x', '/y'])
      const pos = await api.form('POST', '/routes', 'paths[2]=/second&paths[1]=/first')
      assert.equal(pos.status, 201, pos.text)
      assert.deepEqual(pos.body.paths, ['/first', '/second'])
    })

    it('percent-encoded brackets', async () => {
      const res = await api.form('POST', '/routes', 'paths%5B%5D=/enc&headers%5Bx-a%5D=v')
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.paths, ['/enc'])
      assert.deepEqual(res.body.headers, { 'x-a': ['v'] })
    })

    it('a.b=x makes nested records; chains like config.key_names[1]=apikey', async () => {
      const s = await create(api, '/services', { name: uniq('svc'), host: 'a.test' })
      const r = await api.form('POST', '/routes', `service.name=${s.name}&paths[]=/n`)
      assert.equal(r.status, 201, r.text)
      assert.deepEqual(r.body.service, { id: s.id })
      const p = await api.form(
        'POST',
        '/plugins',
        `name=key-auth&route.id=${r.body.id}&config.key_names[1]=apikey&config.key_names[2]=x-key`,
      )
      assert.equal(p.status, 201, p.text)
      assert.deepEqual(p.body.config.key_names, ['apikey', 'x-key'])
    })

    it('headers[x-version]=v1 is a map entry for a route', async () => {
      const res = await api.form(
        'POST',
        '/routes',
        'headers[x-version]=v1&headers[x-version]=v2&headers[x-other]=o',
      )
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.headers, { 'x-version': ['v1', 'v2'], 'x-other': ['o'] })
    })

    it('an empty value → null', async () => {
      const s = await create(api, '/services', { name: uniq('svc'), host: 'a.test', path: '/p', retries: 3 })
      const res = await api.form('PATCH', `/services/${s.id}`, 'path=&retries=')
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.path, null)
      assert.equal(res.body.retries, null)
      const name = await api.form('POST', '/services', 'name=&host=b.test')
      assert.equal(name.status, 201, name.text)
      assert.equal(name.body.name, null)
    })

    it('numbers and booleans are converted; non-numeric numbers then fail validation', async () => {
      const ok = await api.form('POST', '/services', 'host=a.test&port=8080&enabled=false&tls_verify=')
      assert.equal(ok.status, 201, ok.text)
      assert.equal(ok.body.port, 8080)
      assert.equal(ok.body.enabled, false)
      const bad = await api.form('POST', '/services', 'host=a.test&port=eighty&enabled=yes')
      assert.equal(bad.status, 400)
      assert.deepEqual(bad.body.fields, { port: 'expected an integer', enabled: 'expected a boolean' })
    })

    it('unknown keys stay and fail with unknown field', async () => {
      const res = await api.form('POST', '/services', 'host=a.test&foo=bar&foo2.x=1')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, { foo: 'unknown field', foo2: 'unknown field' })
    })

    it('multipart/form-data behaves like a form', async () => {
      const name = uniq('svc')
      const body = multipart([
        ['name', name],
        ['url', 'https://multi.test:8443/m'],
        ['tags[]', 'a'],
        ['tags[]', 'b'],
        ['retries', '2'],
      ])
      const res = await api.send('POST', '/services', {
        raw: body.body,
        headers: { 'content-type': body.contentType },
      })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.name, name)
      assert.equal(res.body.protocol, 'https')
      assert.equal(res.body.port, 8443)
      assert.equal(res.body.path, '/m')
      assert.deepEqual(res.body.tags, ['a', 'b'])
      assert.equal(res.body.retries, 2)
      const route = multipart([
        ['headers[x-version]', 'v1'],
        ['paths[1]', '/mp'],
      ])
      const r = await api.send('POST', '/routes', {
        raw: route.body,
        headers: { 'content-type': route.contentType },
      })
      assert.equal(r.status, 201, r.text)
      assert.deepEqual(r.body.headers, { 'x-version': ['v1'] })
      assert.deepEqual(r.body.paths, ['/mp'])
    })

    it('multipart file parts are values (curl -F cert=@cert.pem)', async () => {
      const body = multipart([
        ['cert', RSA_CERT, 'cert.pem'],
        ['key', RSA_KEY, 'key.pem'],
        ['snis[]', `${uniq('file')}.test`],
      ])
      const res = await api.send('POST', '/certificates', {
        raw: body.body,
        headers: { 'content-type': body.contentType },
      })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.cert.trim(), RSA_CERT.trim())
      assert.equal(res.body.snis.length, 1)
    })

    it('invalid UTF-8 in a form value is invalid UTF-8 (not Latin-1): name=%FF', async () => {
      const res = await api.form('POST', '/services', 'name=%FF&host=a.test')
      assert.equal(res.status, 400, res.text)
      assert.deepEqual(res.body.fields, { name: 'invalid utf-8 character sequence detected at position 1' })
      const tags = await api.form('POST', '/consumers', `username=${uniq('u')}&tags=ok%FFok`)
      assert.equal(tags.status, 400, tags.text)
      assert.deepEqual(tags.body.fields, {
        tags: ['invalid utf-8 character sequence detected at position 3'],
      })
    })

    it('invalid UTF-8 in JSON (a lone surrogate) is reported with its byte position', async () => {
      const res = await api.send('POST', '/services', {
        raw: '{"host":"a.test","name":"a\\ud800"}',
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(res.status, 400, res.text)
      assert.deepEqual(res.body.fields, { name: 'invalid utf-8 character sequence detected at position 2' })
    })

    it('more than 1000 body arguments → 400 Too many arguments (form and multipart)', async () => {
      const args = Array.from({ length: 1001 }, (_, i) => `tags[]=t${i}`).join('&')
      const res = await api.form('POST', '/consumers', `username=${uniq('u')}&${args}`)
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, { message: 'Too many arguments' })
      const mp = multipart(
        Array.from({ length: 1001 }, (_, i): [string, string] => [`tags[${i + 1}]`, `t${i}`]),
      )
      const res2 = await api.send('POST', '/consumers', {
        raw: mp.body,
        headers: { 'content-type': mp.contentType },
      })
      assert.equal(res2.status, 400)
      assert.deepEqual(res2.body, { message: 'Too many arguments' })
    })

    it('exactly 1000 arguments are fine', async () => {
      const args = Array.from({ length: 999 }, (_, i) => `tags[]=t${i}`).join('&')
      const res = await api.form('POST', '/consumers', `username=${uniq('u')}&${args}`)
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.tags.length, 999)
    })
  })

  describe('query strings', () => {
    it('unknown query parameters are ignored (filters, sort_desc, expand_partials)', async () => {
      const s = await create(api, '/services', { name: uniq('svc'), host: 'a.test' })
      const plain = await api.get('/services')
      for (const q of ['foo=bar', 'sort_desc=true', 'expand_partials=true', `name=${uniq('x')}`]) {
        const res = await api.get(`/services?${q}`)
        assert.equal(res.status, 200, q)
        assert.deepEqual(res.body, plain.body, q)
      }
      const one = await api.get(`/services/${s.id}?expand_partials=true&foo=1`)
      assert.equal(one.status, 200)
      assert.equal(one.body.id, s.id)
    })

    it('more than 1000 query arguments → 400 Too many arguments', async () => {
      const q = Array.from({ length: 1001 }, (_, i) => `a${i}=1`).join('&')
      const res = await api.get(`/services?${q}`)
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, { message: 'Too many arguments' })
    })
  })

  describe('paths and methods', () => {
    it('a trailing slash matches (collections and entities)', async () => {
      const name = uniq('svc')
      const post = await api.post('/services/', { name, host: 'a.test' })
      assert.equal(post.status, 201, post.text)
      assert.equal((await api.get('/services/')).status, 200)
      assert.equal((await api.get(`/services/${name}/`)).body.id, post.body.id)
      assert.equal((await api.get(`/services/${name}/routes/`)).status, 200)
    })

    it('percent-encoded segments are decoded: /services/%E5%86%86 finds 円', async () => {
      await api.put('/services/%E5%86%86', { host: 'yen.test' })
      const res = await api.get('/services/%E5%86%86')
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, '円')
      const upper = await api.get(`/consumers/${encodeURIComponent('a b/c')}`)
      assert.equal(upper.status, 404)
      await create(api, '/consumers', { username: 'a b/c' })
      const slash = await api.get(`/consumers/${encodeURIComponent('a b/c')}`)
      assert.equal(slash.status, 200, 'an encoded slash stays inside its segment')
      assert.equal(slash.body.username, 'a b/c')
    })

    it('an endpoint key with invalid UTF-8 in the path → 400 code 10 with the UTF-8 message', async () => {
      const res = await api.get('/services/%FF')
      assert.equal(res.status, 400, res.text)
      assert.deepEqual(res.body, {
        code: 10,
        name: 'invalid unique name',
        message: 'invalid utf-8 character sequence detected at position 1',
      })
    })

    it('endpoint keys are validated with their own field rules (code 10)', async () => {
      const cases: [string, string, string][] = [
        ['/upstreams/a%20b', 'invalid unique name', "Invalid name ('a b'); must be a valid hostname"],
        ['/vaults/A', 'invalid unique prefix', 'invalid value: A'],
        ['/snis/1.2.3.4', 'invalid unique name', 'must not be an IP'],
        [
          '/routes/a%20b',
          'invalid unique name',
          "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
        ],
      ]
      for (const [path, name, message] of cases) {
        const res = await api.get(path)
        assert.equal(res.status, 400, path)
        assert.deepEqual(res.body, { code: 10, name, message }, path)
      }
    })

    it('static paths win over parameters: /plugins/enabled is not a plugin', async () => {
      const opts = await api.options('/plugins/enabled')
      assert.equal(opts.headers.get('allow'), 'GET, HEAD, OPTIONS')
      const del = await api.delete('/plugins/enabled')
      assert.equal(del.status, 405)
      assert.deepEqual(del.body, { message: 'Method not allowed' })
    })

    it('HEAD on a path without GET → 405', async () => {
      const res = await api.head('/schemas/services/validate')
      assert.equal(res.status, 405)
      assert.equal(res.text, '')
    })

    it('unknown path → 404 Not found (also for unknown entity collections)', async () => {
      for (const path of ['/nope', '/services/x/nope', '/workspaces', '/services/x/routes/y/z']) {
        const res = await api.get(path)
        assert.equal(res.status, 404, path)
        assert.deepEqual(res.body, { message: 'Not found' }, path)
        assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
      }
    })

    it('known path, unsupported method → 405 Method not allowed', async () => {
      const cases: [string, string][] = [
        ['POST', `/services/${randomUUID()}`],
        ['DELETE', '/services'],
        ['PUT', '/routes'],
        ['PATCH', '/consumers'],
        ['POST', '/status'],
        ['DELETE', '/'],
        ['POST', '/endpoints'],
      ]
      for (const [method, path] of cases) {
        const res = await api.send(method, path, { json: {} })
        assert.equal(res.status, 405, `${method} ${path}`)
        assert.deepEqual(res.body, { message: 'Method not allowed' }, `${method} ${path}`)
      }
      const trace = await rawRequest(gw, 'TRACE', '/services', [])
      assert.equal(trace.status, 405)
      assert.deepEqual(JSON.parse(trace.text), { message: 'Method not allowed' })
    })

    it('HEAD: same status and headers as GET, empty body; 404 with empty body', async () => {
      const s = await create(api, '/services', { name: uniq('svc'), host: 'a.test' })
      const get = await api.get(`/services/${s.id}`)
      const head = await api.head(`/services/${s.id}`)
      assert.equal(head.status, 200)
      assert.equal(head.text, '')
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'))
      assert.equal(head.headers.get('content-length'), get.headers.get('content-length'))
      const list = await api.head('/services')
      assert.equal(list.status, 200)
      assert.equal(list.text, '')
      const missing = await api.head(`/services/${randomUUID()}`)
      assert.equal(missing.status, 404)
      assert.equal(missing.text, '')
      const unknown = await api.head('/nope')
      assert.equal(unknown.status, 404)
      assert.equal(unknown.text, '')
    })

    it('OPTIONS: 204, Allow and Access-Control-Allow-Methods sorted, empty body', async () => {
      const cases: [string, string][] = [
        ['/routes', 'GET, HEAD, OPTIONS, POST'],
        [`/routes/${randomUUID()}`, 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
        [`/routes/${randomUUID()}/service`, 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
        ['/status', 'GET, HEAD, OPTIONS'],
        [`/upstreams/${randomUUID()}/targets`, 'GET, HEAD, OPTIONS, POST'],
        ['/schemas/services/validate', 'OPTIONS, POST'],
      ]
      for (const [path, allow] of cases) {
        const res = await api.options(path)
        assert.equal(res.status, 204, path)
        assert.equal(res.text, '', path)
        assert.equal(res.headers.get('allow'), allow, path)
        assert.equal(res.headers.get('access-control-allow-methods'), allow, path)
        assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type', path)
      }
    })

    it('OPTIONS echoes Access-Control-Request-Headers', async () => {
      const res = await api.options('/services', { 'Access-Control-Request-Headers': 'X-Foo, Content-Type' })
      assert.equal(res.status, 204)
      assert.equal(res.headers.get('access-control-allow-headers'), 'X-Foo, Content-Type')
    })

    it('OPTIONS on an unknown path → 404 Not found', async () => {
      const res = await api.options('/nope')
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, { message: 'Not found' })
    })
  })

  describe('response headers', () => {
    it('every response carries Server: silverback/<version> and X-Kong-Admin-Latency, no Via', async () => {
      const responses = [
        await api.get('/'),
        await api.get('/nope'),
        await api.send('DELETE', '/services'),
        await api.post('/consumers', {}),
        await api.delete(`/services/${randomUUID()}`),
        await api.options('/services'),
        await api.head('/services'),
      ]
      for (const res of responses) {
        assert.equal(res.headers.get('server'), `silverback/${VERSION}`, String(res.status))
        assert.match(res.headers.get('x-kong-admin-latency') ?? '', /^\d+$/, String(res.status))
        assert.equal(res.headers.get('via'), null)
      }
    })

    it('JSON responses are application/json; charset=utf-8; 204 has no body', async () => {
      const res = await api.get('/services')
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
      const del = await api.delete(`/services/${randomUUID()}`)
      assert.equal(del.status, 204)
      assert.equal(del.text, '')
      assert.equal(del.headers.get('content-type'), null)
    })

    it('every response carries CORS headers: no Origin → *, an Origin is echoed', async () => {
      const none = await api.get('/services')
      assert.equal(none.headers.get('access-control-allow-origin'), '*')
      assert.equal(none.headers.get('access-control-allow-credentials'), 'true')
      const origin = await api.get('/nope', { Origin: 'http://any.test:1234' })
      assert.equal(origin.headers.get('access-control-allow-origin'), 'http://any.test:1234')
      assert.equal(origin.headers.get('access-control-allow-credentials'), 'true')
      const pre = await api.options('/services', { Origin: 'http://any.test' })
      assert.equal(pre.headers.get('access-control-allow-origin'), 'http://any.test')
    })
  })

  describe('Kong Manager', () => {
    it('PATCH with the whole entity sent back (id, created_at, updated_at) is accepted', async () => {
      const s = await create(api, '/services', { name: uniq('svc'), host: 'a.test' })
      const r = await create(api, '/routes', { name: uniq('r'), paths: ['/km'], service: { id: s.id } })
      const res = await api.patch(`/routes/${r.id}`, { ...r, paths: ['/km2'], strip_path: false })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body.paths, ['/km2'])
      assert.equal(res.body.strip_path, false)
      assert.equal(res.body.id, r.id)
      assert.equal(res.body.created_at, r.created_at)
      const svc = await api.patch(`/services/${s.id}`, { ...s, retries: 1 })
      assert.equal(svc.status, 200, svc.text)
      assert.equal(svc.body.retries, 1)
    })
  })
})

describe('admin api: admin_gui_url CORS', () => {
  let gw: Gateway
  before(async () => {
    gw = await startAdmin({ env: { ADMIN_GUI_URL: 'http://manager.test:8002, https://other.test/manager/' } })
  })
  after(async () => {
    await gw.stop()
  })

  it('an allowed Origin is echoed', async () => {
    for (const origin of ['http://manager.test:8002', 'https://other.test']) {
      const res = await request(gw.admin, 'GET', '/services', { headers: { Origin: origin } })
      assert.equal(res.headers.get('access-control-allow-origin'), origin)
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true')
    }
  })

  it('another Origin, or none, gets the first allowed origin', async () => {
    const other = await request(gw.admin, 'GET', '/services', { headers: { Origin: 'http://evil.test' } })
    assert.equal(other.headers.get('access-control-allow-origin'), 'http://manager.test:8002')
    const none = await request(gw.admin, 'GET', '/services')
    assert.equal(none.headers.get('access-control-allow-origin'), 'http://manager.test:8002')
    const pre = await request(gw.admin, 'OPTIONS', '/services', { headers: { Origin: 'http://evil.test' } })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://manager.test:8002')
  })
})

describe('admin api: body size limit', () => {
  let gw: Gateway
  before(async () => {
    gw = await startAdmin({ env: { NGINX_ADMIN_CLIENT_MAX_BODY_SIZE: '1k' } })
  })
  after(async () => {
    await gw.stop()
  })

  it('a body over nginx_admin_client_max_body_size → 413', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(2000) })
    const res = await request(gw.admin, 'POST', '/consumers', {
      raw: big,
      headers: { 'content-type': 'application/json' },
    })
    assert.equal(res.status, 413)
  })

  it('a chunked body (no Content-Length) over the limit → 413', async () => {
    const big = JSON.stringify({ username: 'y'.repeat(4000) })
    const res = await rawRequest(
      gw,
      'POST',
      '/consumers',
      [
        ['Content-Type', 'application/json'],
        ['Transfer-Encoding', 'chunked'],
      ],
      big,
    )
    assert.equal(res.status, 413)
  })

  it('a body under the limit is accepted', async () => {
    const res = await request(gw.admin, 'POST', '/consumers', { json: { username: 'x'.repeat(900) } })
    assert.equal(res.status, 201, res.text)
  })
})

describe('admin api: the headers setting', () => {
  let off: Gateway
  let latencyOnly: Gateway
  before(async () => {
    ;[off, latencyOnly] = await Promise.all([
      startAdmin({ env: { HEADERS: 'off' } }),
      startAdmin({ env: { HEADERS: 'X-Kong-Admin-Latency' } }),
    ])
  })
  after(async () => {
    await Promise.all([off.stop(), latencyOnly.stop()])
  })

  it('headers = off removes Server and X-Kong-Admin-Latency', async () => {
    const res = await request(off.admin, 'GET', '/services')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('server'), null)
    assert.equal(res.headers.get('x-kong-admin-latency'), null)
  })

  it('headers = X-Kong-Admin-Latency keeps only the latency header', async () => {
    const res = await request(latencyOnly.admin, 'GET', '/nope')
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('server'), null)
    assert.match(res.headers.get('x-kong-admin-latency') ?? '', /^\d+$/)
  })
})

describe('admin api: listeners (admin_listen with several entries and ssl)', () => {
  let plain: number
  let tls: number
  let stop: () => Promise<void>
  before(async () => {
    plain = await freePort()
    tls = await freePort()
    const status = await freePort()
    const gw = await spawnGateway(
      {
        ADMIN_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${tls} ssl http2`,
        STATUS_LISTEN: `127.0.0.1:${status}`,
      },
      `http://127.0.0.1:${plain}/status`,
    )
    stop = gw.stop
  })
  after(async () => {
    await stop?.()
  })

  it('serves the Admin API on every entry; the ssl entry speaks TLS', async () => {
    const res = await fetch(`http://127.0.0.1:${plain}/`)
    assert.equal(res.status, 200)
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.get(
        { host: '127.0.0.1', port: tls, path: '/services', rejectUnauthorized: false },
        (r) => {
          let text = ''
          r.on('data', (d: Buffer) => {
            text += d.toString()
          })
          r.on('end', () => resolve({ status: r.statusCode ?? 0, text }))
        },
      )
      req.on('error', reject)
    })
    assert.equal(body.status, 200)
    assert.deepEqual(JSON.parse(body.text), { data: [], next: null })
    await assert.rejects(fetch(`http://127.0.0.1:${tls}/`), 'plain HTTP on the ssl listener fails')
  })
})
