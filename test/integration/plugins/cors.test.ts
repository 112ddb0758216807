// cors (plugins.md §6.9) through the real gateway and a real upstream: preflight answers and
// preflight_continue, headers on proxied responses and on errors, origin rules (exact, regex,
// `*`), credentials, Vary, private network, allow_origin_absent, and the schema.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, echoed, refused, type TestRoute } from '../../helpers/plugins.js'
import { type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT'
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-allow-private-network',
  'vary',
]

/** The CORS headers of a response (absent ones left out). */
function cors(res: ProxyResponse): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i].toLowerCase()
    if (!CORS_HEADERS.includes(name)) continue
    const prev = out[name]
    const v = res.rawHeaders[i + 1]
    out[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

describe('cors', () => {
  let up: Upstream
  /** Answers with the headers named in its query (`?Vary=x&Access-Control-Allow-Origin=*`), and `?status=`. */
  let headersUp: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    headersUp = await startUpstream((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams
      const headers: [string, string][] = [['content-type', 'application/json']]
      for (const [k, v] of q) if (k !== 'status') headers.push([k, v])
      res.writeHead(Number(q.get('status') ?? 200), headers.flat())
      res.end(JSON.stringify({ origin: req.headers.origin ?? null }))
    })
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
    await headersUp.close()
  })

  function preflight(
    url: string,
    origin: string,
    headers: Record<string, string> = {},
  ): Promise<ProxyResponse> {
    return send(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', ...headers },
    })
  }

  /** A route with cors; waits until the proxy applies it (`ready` on a preflight response). */
  async function corsRoute(
    config: Record<string, unknown>,
    opts: { upstream?: string; ready?: (res: ProxyResponse) => boolean } = {},
  ): Promise<TestRoute> {
    const r = await addRoute(gw, opts.upstream ?? up.url)
    await addPlugin(gw, { name: 'cors', config }, `/routes/${r.routeId}`)
    const ready =
      opts.ready ?? ((res: ProxyResponse) => res.headers['access-control-allow-methods'] !== undefined)
    await until(async () => ready(await preflight(r.url, 'http://probe.test')))
    return r
  }

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.9', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'cors' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        origins: null,
        headers: null,
        exposed_headers: null,
        methods: DEFAULT_METHODS.split(','),
        max_age: null,
        credentials: false,
        private_network: false,
        preflight_continue: false,
        allow_origin_absent: true,
      })
    })

    it('refuses bad configurations with 400 and the field at fault', async () => {
      const regex = await refused(gw, '/plugins', {
        name: 'cors',
        config: { origins: ['.*.example.com', 'invalid_**regex'] },
      })
      assert.equal(regex.status, 400)
      assert.equal(regex.body.name, 'schema violation')
      const origins = (regex.body.fields as { config: { origins: unknown[] } }).config.origins
      assert.equal(origins[1], "'invalid_**regex' is not a valid regex")
      assert.equal(origins[0] ?? null, null)

      const method = await refused(gw, '/plugins', { name: 'cors', config: { methods: ['FAKE'] } })
      assert.deepEqual(method.body.fields, {
        config: {
          methods: ['expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT'],
        },
      })
      const flag = await refused(gw, '/plugins', { name: 'cors', config: { credentials: 'yes' } })
      assert.deepEqual(flag.body.fields, { config: { credentials: 'expected a boolean' } })
      const age = await refused(gw, '/plugins', { name: 'cors', config: { max_age: 'long' } })
      assert.deepEqual(age.body.fields, { config: { max_age: 'expected a number' } })

      const consumer = await refused(gw, '/consumers', { username: 'cors-consumer' })
      assert.equal(consumer.status, 201)
      const scoped = await refused(gw, '/plugins', { name: 'cors', consumer: { id: consumer.body.id } })
      assert.equal(scoped.status, 400)
      assert.equal((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
    })

    it('accepts *, plain origins and regexes', async () => {
      for (const origins of [['*'], ['example.com'], ['.*\\.example(?:-foo)?\\.com'], []]) {
        const r = await addRoute(gw, up.url)
        await addPlugin(gw, { name: 'cors', config: { origins } }, `/routes/${r.routeId}`)
      }
    })
  })

  describe('preflight (OPTIONS with Origin and Access-Control-Request-Method)', () => {
    it('is answered 200 with an empty body and the defaults; the upstream is not contacted', async () => {
      const r = await corsRoute({})
      const seen = up.requests
      const res = await preflight(r.url, 'origin1.test')
      assert.equal(res.status, 200)
      assert.equal(res.body, '')
      assert.equal(res.headers['content-length'], '0')
      assert.deepEqual(cors(res), {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': DEFAULT_METHODS,
      })
      assert.equal(up.requests, seen)
      // An empty origins list is the same as none.
      const empty = await corsRoute({ origins: [] })
      assert.deepEqual(cors(await preflight(empty.url, 'empty-origin.test')), {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': DEFAULT_METHODS,
      })
    })

    it('applies every option: origins, methods, headers, max_age, credentials, Vary', async () => {
      const r = await corsRoute({
        origins: ['example.test'],
        methods: ['GET'],
        headers: ['origin', 'type', 'accepts'],
        exposed_headers: ['x-auth-token'],
        max_age: 23,
        credentials: true,
      })
      const res = await preflight(r.url, 'origin5.test')
      assert.equal(res.status, 200)
      assert.deepEqual(cors(res), {
        vary: 'Origin',
        'access-control-allow-origin': 'example.test',
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'origin,type,accepts',
        'access-control-allow-methods': 'GET',
        'access-control-max-age': '23',
      })
      const fractional = await corsRoute({ max_age: 1.5, methods: null })
      const f = cors(await preflight(fractional.url, 'x.test'))
      assert.equal(f['access-control-max-age'], '1.5')
      assert.equal(f['access-control-allow-methods'], DEFAULT_METHODS)
    })

    it('echoes Access-Control-Request-Headers when no headers are configured', async () => {
      const r = await corsRoute({ origins: ['*'], credentials: true })
      const res = await preflight(r.url, 'origin5.test', {
        'access-control-request-headers': 'origin,accepts',
      })
      assert.equal(res.headers['access-control-allow-headers'], 'origin,accepts')
    })

    it("origins ['*'] with credentials: echoes the request Origin, with Vary and Allow-Credentials", async () => {
      const r = await corsRoute({ origins: ['*'], credentials: true })
      assert.deepEqual(cors(await preflight(r.url, 'origin5.test')), {
        vary: 'Origin',
        'access-control-allow-origin': 'origin5.test',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': DEFAULT_METHODS,
      })
    })

    it('* among several origins allows any origin', async () => {
      const r = await corsRoute({ origins: ['foo.bar', '*'] })
      const res = await preflight(r.url, 'http://www.example.net')
      assert.equal(res.headers['access-control-allow-origin'], '*')
      assert.equal(res.headers['access-control-allow-credentials'], undefined)
    })

    it('private_network: Allow-Private-Network only when enabled and asked for', async () => {
      const r = await corsRoute({ private_network: true, origins: ['allowed-domain.test'] })
      const asked = { 'access-control-request-private-network': 'true' }
      const res = await preflight(r.url, 'allowed-domain.test', asked)
      assert.equal(res.headers['access-control-allow-private-network'], 'true')
      const notAsked = await preflight(r.url, 'allowed-domain.test')
      assert.equal(notAsked.headers['access-control-allow-private-network'], undefined)
      const off = await corsRoute({ origins: ['allowed-domain.test'] })
      const offRes = await preflight(off.url, 'allowed-domain.test', asked)
      assert.equal(offRes.headers['access-control-allow-private-network'], undefined)
    })

    it('preflight_continue: proxied to the upstream, with no CORS headers added', async () => {
      const r = await corsRoute(
        {
          origins: ['example.test'],
          methods: ['GET'],
          exposed_headers: ['x-auth-token'],
          preflight_continue: true,
        },
        { ready: (res) => res.status === 200 && res.body !== '' },
      )
      const res = await preflight(r.url, 'example.test')
      assert.equal(echoed(res).method, 'OPTIONS')
      assert.deepEqual(cors(res), {})
    })

    it('OPTIONS without Access-Control-Request-Method (or without Origin) is proxied as a normal request', async () => {
      const r = await corsRoute({})
      const res = await send(r.url, { method: 'OPTIONS', headers: { origin: 'x.test' } })
      assert.equal(echoed(res).method, 'OPTIONS')
      assert.deepEqual(cors(res), { 'access-control-allow-origin': '*' })
      const noOrigin = await send(r.url, {
        method: 'OPTIONS',
        headers: { 'access-control-request-method': 'GET' },
      })
      assert.equal(echoed(noOrigin).method, 'OPTIONS')
      assert.equal(noOrigin.headers['access-control-allow-methods'], undefined)
    })
  })

  describe('other requests (header_filter)', () => {
    it('defaults: Access-Control-Allow-Origin: * only', async () => {
      const r = await corsRoute({})
      const res = await send(r.url)
      echoed(res)
      assert.deepEqual(cors(res), { 'access-control-allow-origin': '*' })
    })

    it('configured: fixed origin, exposed headers, credentials and Vary', async () => {
      const r = await corsRoute({
        origins: ['example.test'],
        methods: ['GET'],
        headers: ['origin', 'type', 'accepts'],
        exposed_headers: ['x-auth-token', 'x-other'],
        max_age: 23,
        credentials: true,
      })
      const res = await send(r.url)
      echoed(res)
      assert.deepEqual(cors(res), {
        vary: 'Origin',
        'access-control-allow-origin': 'example.test',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-auth-token,x-other',
      })
    })

    it('adds Vary: Origin to the Vary of the upstream', async () => {
      const r = await corsRoute({ origins: ['example.test'] }, { upstream: headersUp.url })
      const res = await send(`${r.url}?Vary=Accept-Encoding`, { headers: { origin: 'example.test' } })
      assert.equal(res.status, 200)
      assert.deepEqual(cors(res).vary, ['Accept-Encoding', 'Origin'])
    })

    it("replaces the upstream's Access-Control-Allow-Origin, or removes it when the origin does not match", async () => {
      const r = await corsRoute(
        { credentials: true, origins: ['a.xxx.test', 'allowed-domain.test'] },
        { upstream: headersUp.url },
      )
      const q = '?Response-Header=is-added&Access-Control-Allow-Origin=*'
      const ok = await send(`${r.url}${q}`, { headers: { origin: 'allowed-domain.test' } })
      assert.equal(ok.headers['response-header'], 'is-added')
      assert.deepEqual(cors(ok), {
        vary: 'Origin',
        'access-control-allow-origin': 'allowed-domain.test',
        'access-control-allow-credentials': 'true',
      })
      assert.equal(JSON.parse(ok.body).origin, 'allowed-domain.test')
      const no = await send(`${r.url}${q}`, { headers: { origin: 'disallowed-domain.test' } })
      assert.equal(no.headers['response-header'], 'is-added')
      assert.deepEqual(cors(no), { vary: 'Origin', 'access-control-allow-credentials': 'true' })
    })

    it('also on responses the gateway or another plugin produced (502, 401) and on upstream errors (404)', async () => {
      const config = { origins: ['example.test'], exposed_headers: ['x-auth-token'] }
      const dead = await freePort()
      const bad = await corsRoute(config, { upstream: `http://127.0.0.1:${dead}` })
      const res = await send(bad.url)
      assert.equal(res.status, 502)
      assert.deepEqual(cors(res), {
        vary: 'Origin',
        'access-control-allow-origin': 'example.test',
        'access-control-expose-headers': 'x-auth-token',
      })

      const locked = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'cors' }, `/routes/${locked.routeId}`)
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${locked.routeId}`)
      let denied: ProxyResponse | undefined
      await until(async () => {
        denied = await send(locked.url)
        return denied.status === 401 && denied.headers['access-control-allow-origin'] !== undefined
      })
      assert.deepEqual(cors(denied as ProxyResponse), { 'access-control-allow-origin': '*' })
      // A preflight is answered before key-auth runs.
      assert.equal((await preflight(locked.url, 'x.test')).status, 200)

      const notFound = await corsRoute({}, { upstream: headersUp.url })
      const nf = await send(`${notFound.url}?status=404`, { headers: { origin: 'x.test' } })
      assert.equal(nf.status, 404)
      assert.deepEqual(cors(nf), { 'access-control-allow-origin': '*' })
    })

    it("origins ['*'] with credentials echoes the Origin as sent (port included)", async () => {
      const r = await corsRoute({ origins: ['*'], credentials: true })
      for (const origin of ['http://www.example.net', 'http://www.example.net:3000']) {
        assert.deepEqual(cors(await send(r.url, { headers: { origin } })), {
          vary: 'Origin',
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
        })
      }
      // Without an Origin there is nothing to echo: * and no credentials.
      assert.deepEqual(cors(await send(r.url)), { 'access-control-allow-origin': '*' })
      const plain = await corsRoute({ origins: ['*'], credentials: false })
      assert.deepEqual(cors(await send(plain.url, { headers: { origin: 'http://www.example.net' } })), {
        'access-control-allow-origin': '*',
      })
    })

    it('allow_origin_absent: false skips requests without (or with an empty) Origin', async () => {
      const config = { origins: ['foo.bar'], exposed_headers: ['x-auth-token'], credentials: true }
      const skip = await corsRoute({ ...config, allow_origin_absent: false })
      for (const headers of [{}, { origin: '' }] as Record<string, string>[]) {
        assert.deepEqual(cors(await send(skip.url, { headers })), {})
      }
      assert.equal(
        (await send(skip.url, { headers: { origin: 'x.test' } })).headers['access-control-allow-origin'],
        'foo.bar',
      )
      const keep = await corsRoute({ ...config, allow_origin_absent: true })
      for (const headers of [{}, { origin: '' }] as Record<string, string>[]) {
        assert.deepEqual(cors(await send(keep.url, { headers })), {
          vary: 'Origin',
          'access-control-allow-origin': 'foo.bar',
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': 'x-auth-token',
        })
      }
    })
  })

  describe('origin rules', () => {
    // Origin → expected Access-Control-Allow-Origin: a string, true (the origin itself) or
    // false (none). The cases of Kong's own test suite.
    const cases: { origins: string[]; tests: Record<string, string | boolean> }[] = [
      {
        // One plain entry: always that value, whatever the request.
        origins: ['foo.test'],
        tests: {
          'http://evil.test': 'foo.test',
          'http://foo.test': 'foo.test',
          'http://foo.test.evil.test': 'foo.test',
          'https://bar.test:1234': 'foo.test',
        },
      },
      {
        origins: ['https://bar.test:1234'],
        tests: {
          'http://evil.test': 'https://bar.test:1234',
          'https://bar.test:1234': 'https://bar.test:1234',
        },
      },
      {
        // A regex without ':' is matched (anchored) against the host only.
        origins: ['foo\\.test'],
        tests: {
          'http://evil.test': false,
          'http://foo.test': true,
          'http://foo.test.evil.test': false,
          'http://something.foo.test': false,
          'http://evilfoo.test': false,
          'http://foo.test:80': 'http://foo.test',
          'http://foo.test:8000': true,
          'https://foo.test:8000': true,
          'http://foo.test:90': true,
          'http://foobtest': false,
          'https://bar.test:1234': false,
        },
      },
      {
        origins: ['(.*[./])?foo\\.test'],
        tests: {
          'http://evil.test': false,
          'http://foo.test': true,
          'http://foo.test.evil.test': false,
          'http://something.foo.test': true,
          'http://evilfoo.test': false,
          'http://foo.test:80': 'http://foo.test',
          'https://foo.test:8000': true,
        },
      },
      {
        // With ':' the regex is matched against the normalized origin (scheme and port).
        origins: ['(.*[./])?foo\\.test:8000'],
        tests: {
          'http://foo.test': false,
          'http://foo.test:80': false,
          'http://foo.test:8000': true,
          'https://foo.test:8000': true,
          'http://foo.test:90': false,
        },
      },
      {
        origins: ['https://(.*[.])?foo\\.test:8000'],
        tests: {
          'http://foo.test:8000': false,
          'https://foo.test:8000': true,
          'https://something.foo.test:8000': true,
          'http://foo.test': false,
        },
      },
      {
        // Explicit anchors are accepted.
        origins: ['^http://(.*[.])?foo\\.test(:(80|90))?$'],
        tests: {
          'http://evil.test': false,
          'http://foo.test': true,
          'http://foo.test.evil.test': false,
          'http://something.foo.test': true,
          'http://foo.test:80': 'http://foo.test',
          'http://foo.test:8000': false,
          'https://foo.test:8000': false,
          'http://foo.test:90': true,
        },
      },
      {
        // Several plain entries: compared with the whole normalized origin.
        origins: ['foo.test', 'bar.test'],
        tests: { 'http://foo.test': false, 'http://foo.test:80': false, 'foo.test': true, 'bar.test': true },
      },
      {
        origins: ['http://foo.test', 'https://bar.test:1234'],
        tests: {
          'http://evil.test': false,
          'http://foo.test': true,
          'http://foo.test.evil.test': false,
          'http://foo.test:80': 'http://foo.test',
          'http://foo.test:8000': false,
          'https://foo.test': false,
          'https://bar.test:1234': true,
          'https://bar.test:1235': false,
        },
      },
      {
        origins: ['bar.test', '(.*\\.)?foo\\.test'],
        tests: {
          'http://foo.test': true,
          'http://something.foo.test': true,
          'http://foo.test:80': 'http://foo.test',
          'http://foo.test:8000': true,
          'http://foobtest': false,
          'https://bar.test:1234': false,
        },
      },
      {
        origins: ['bar.test', 'https://(.*\\.)?foo\\.test:8000'],
        tests: {
          'https://foo.test:8000': true,
          'http://foo.test:8000': false,
          'https://bar.test:1234': false,
        },
      },
      {
        // Origins without scheme: compared (and regex-matched) as they are.
        origins: ['.*\\.?example(?:-foo)?.test'],
        tests: {
          'example.test': true,
          'www.example.test': true,
          'example-foo.test': true,
          'www.example-foo.test': true,
          'www.example-fo0.test': false,
        },
      },
      {
        origins: ['example.test', 'example.org'],
        tests: { 'example.test': true, 'http://example.test': false, 'https://example.test': false },
      },
    ]

    for (const { origins, tests } of cases) {
      it(`${JSON.stringify(origins)}`, async () => {
        const r = await corsRoute({ origins })
        for (const [origin, expected] of Object.entries(tests)) {
          const res = await preflight(r.url, origin)
          assert.equal(res.status, 200)
          const acao = res.headers['access-control-allow-origin']
          const want = expected === true ? origin : expected === false ? undefined : expected
          assert.equal(acao, want, `${origin} with ${JSON.stringify(origins)}`)
          assert.equal(res.headers['access-control-allow-methods'], DEFAULT_METHODS)
          assert.equal(res.headers.vary, 'Origin')
          // The same rule applies to proxied responses.
          const get = await send(r.url, { headers: { origin } })
          assert.equal(get.headers['access-control-allow-origin'], want, `GET ${origin}`)
        }
      })
    }

    it('several origins and no Origin header: no Access-Control-Allow-Origin', async () => {
      const r = await corsRoute({ origins: ['http://my-site.test', 'http://my-other-site.test'] })
      const res = await send(r.url)
      assert.deepEqual(cors(res), { vary: 'Origin' })
    })
  })
})
