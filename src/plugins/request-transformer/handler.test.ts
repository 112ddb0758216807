// The transformation against a stand-in `kong` (what the integration test cannot set up: the
// untrusted_lua setting, kong.ctx.shared, changes made by an earlier plugin).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeArgs } from '../../pdk/body.js'
import { clearHeader, headerTable, setHeader } from '../../pdk/headers.js'
import type { Kong } from '../../pdk/types.js'
import { prepareConf, transformRequest } from './handler.js'

interface Upstream {
  method: string
  path: string
  query: string
  headers: string[]
  body: Buffer
}

function fakeKong(
  up: Upstream,
  opts: { untrusted?: string; shared?: Record<string, unknown>; clientHeaders?: string[] } = {},
): Kong {
  const fake = {
    configuration: { untrusted_lua: opts.untrusted ?? 'sandbox' },
    ctx: { shared: opts.shared ?? {}, plugin: {} },
    request: {
      getHeaders: (max?: number) => headerTable(opts.clientHeaders ?? [], max),
      getUriCaptures: () => ({ unnamed: ['/u/7', '7'], named: { id: '7' } }),
    },
    service: {
      request: {
        getHeaders: (max?: number) => headerTable(up.headers, max),
        getRawQuery: () => up.query,
        getRawBody: async () => up.body,
        setPath: (p: string) => {
          if (!p.startsWith('/')) throw new TypeError('path must start with /')
          up.path = p
        },
        setMethod: (m: string) => {
          up.method = m
        },
        setQuery: (q: Record<string, string | true | readonly (string | true)[]>) => {
          up.query = encodeArgs(q)
        },
        setHeader: (n: string, v: string | readonly string[]) => setHeader(up.headers, n, v),
        clearHeader: (n: string) => clearHeader(up.headers, n),
        setRawBody: (b: string | Buffer) => {
          up.body = Buffer.from(b)
        },
      },
    },
  }
  return fake as unknown as Kong
}

const empty = { body: [], headers: [], querystring: [] }
const config = (c: Record<string, unknown>) =>
  prepareConf({ remove: empty, rename: empty, replace: empty, add: empty, append: empty, ...c })

function upstream(over: Partial<Upstream> = {}): Upstream {
  return { method: 'GET', path: '/', query: '', headers: [], body: Buffer.alloc(0), ...over }
}

describe('request-transformer handler', () => {
  it('reads kong.ctx.shared in templates', async () => {
    const up = upstream()
    const conf = config({ add: { ...empty, querystring: ['v:$(shared.my_version)'] } })
    await transformRequest(conf, fakeKong(up, { shared: { my_version: '1.2.3' } }))
    assert.equal(up.query, 'v=1.2.3')
  })

  it('untrusted_lua = off: literal values pass, a $(…) value fails the request', async () => {
    const up = upstream()
    await transformRequest(
      config({ add: { ...empty, headers: ['x-a:plain'] } }),
      fakeKong(up, { untrusted: 'off' }),
    )
    assert.deepEqual(up.headers, ['x-a', 'plain'])
    await assert.rejects(
      transformRequest(
        config({ add: { ...empty, headers: ['x-b:$(headers.host)'] } }),
        fakeKong(upstream(), { untrusted: 'off' }),
      ),
      /failed to render the template \$\(headers.host\), error:loading of untrusted Lua code disabled/,
    )
  })

  it('sees the request as earlier plugins left it (a cleared credential stays cleared)', async () => {
    // key-auth with hide_credentials removed `apikey` from the upstream query and headers.
    const up = upstream({ query: 'a=1', headers: ['X-Consumer-Username', 'alice'] })
    const conf = config({
      add: { ...empty, querystring: ['user:$(headers["x-consumer-username"])'], headers: ['x-b:2'] },
    })
    await transformRequest(conf, fakeKong(up, { clientHeaders: ['apikey', 'secret', 'Host', 'h.test'] }))
    assert.equal(up.query, 'a=1&user=alice')
    assert.deepEqual(up.headers, ['X-Consumer-Username', 'alice', 'x-b', '2'])
  })

  it('templates see the Host the client sent; Host can be replaced', async () => {
    const up = upstream()
    const conf = config({
      add: { ...empty, headers: ['x-host:$(headers.host)', 'host:nope'] },
      replace: { ...empty, headers: ['host:new.test'] },
    })
    await transformRequest(conf, fakeKong(up, { clientHeaders: ['Host', 'h.test'] }))
    assert.deepEqual(up.headers, ['host', 'new.test', 'x-host', 'h.test'])
  })

  it('a uri template that fails, or a path not starting with /, fails the request', async () => {
    await assert.rejects(
      transformRequest(
        config({ replace: { ...empty, uri: '/x/$(10 * uri_captures.nope)' } }),
        fakeKong(upstream()),
      ),
      /failed to render the template/,
    )
    await assert.rejects(
      transformRequest(config({ replace: { ...empty, uri: 'x$(uri_captures.id)' } }), fakeKong(upstream())),
      /path must start with/,
    )
    const up = upstream()
    await transformRequest(config({ replace: { ...empty, uri: '/items/$(uri_captures.id)' } }), fakeKong(up))
    assert.equal(up.path, '/items/7')
  })

  it('POST → GET moves form fields into the query string; the body stays', async () => {
    const up = upstream({
      method: 'POST',
      query: 'hello=world&a=1',
      headers: ['Content-Type', 'application/x-www-form-urlencoded'],
      body: Buffer.from('name=marco&a=2'),
    })
    await transformRequest(config({ http_method: 'GET' }), fakeKong(up))
    assert.equal(up.method, 'GET')
    assert.equal(up.query, 'a=1&a=2&hello=world&name=marco')
    assert.equal(up.body.toString(), 'name=marco&a=2')
  })
})
