// request-transformer (plugins.md §6.14) through the real gateway and the echo upstream: every
// operation on headers, query string and the three body formats, the method, the path,
// templates (and their failures), the order of operations, the schema's refusals, and the
// interplay with a plugin that ran before (key-auth, pre-function).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { echoed, message, refused, untilProxy } from '../../helpers/plugins.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

type SendOpts = Parameters<typeof send>[1]

/** Every value of a header the upstream received, in order (case-insensitive name). */
function values(e: EchoBody, name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < e.rawHeaders.length; i += 2)
    if (e.rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(e.rawHeaders[i + 1])
  return out
}

/** The header names the upstream received, as spelled on the wire. */
function names(e: EchoBody): string[] {
  return e.rawHeaders.filter((_, i) => i % 2 === 0)
}

function query(e: EchoBody): URLSearchParams {
  return new URLSearchParams(e.url.includes('?') ? e.url.slice(e.url.indexOf('?') + 1) : '')
}

function form(e: EchoBody): URLSearchParams {
  return new URLSearchParams(e.body)
}

const BOUNDARY = 'sbTestBoundary'

function multipart(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  let body = ''
  for (const [k, v] of Object.entries(fields))
    body += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`
  body += `--${BOUNDARY}--\r\n`
  return { body, headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` } }
}

/** The fields of a multipart body as received (name → values). */
function multipartFields(e: EchoBody): Record<string, string[]> {
  const boundary = /boundary=(\S+)/.exec(String(e.headers['content-type']))?.[1]
  assert.ok(boundary, `no boundary in ${e.headers['content-type']}`)
  const out: Record<string, string[]> = {}
  for (const part of e.body.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break
    const m = /name="([^"]*)"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*)\r\n$/.exec(part)
    assert.ok(m, `bad part ${JSON.stringify(part)}`)
    out[m[1]] ??= []
    out[m[1]].push(m[2])
  }
  return out
}

const json = (b: unknown) => ({ body: JSON.stringify(b), headers: { 'Content-Type': 'application/json' } })
const urlencoded = (f: Record<string, string>) => ({
  body: new URLSearchParams(f).toString(),
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
})

describe('request-transformer', () => {
  let up: Upstream
  let gw: Gateway
  let seq = 0
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  interface Setup {
    /** Plugins enabled on the service before its route exists (so they apply from the first request). */
    plugins?: Record<string, unknown>[]
    route?: Record<string, unknown>
    /** Path probed until it answers `status` (default: the route's path). */
    probePath?: string
    probe?: SendOpts
    status?: number
  }

  /** A service with request-transformer (and `plugins`) and a fresh route; returns the route's URL. */
  async function transformed(config: Record<string, unknown>, s: Setup = {}): Promise<string> {
    seq++
    const name = `rt-${process.pid}-${seq}`
    const path = `/rt${seq}`
    await admin(gw, 'POST', '/services', { name, url: up.url })
    for (const p of s.plugins ?? []) await admin(gw, 'POST', `/services/${name}/plugins`, p)
    await admin(gw, 'POST', `/services/${name}/plugins`, { name: 'request-transformer', config })
    await admin(gw, 'POST', `/services/${name}/routes`, { paths: [path], ...s.route })
    await untilProxy(`${gw.proxy}${s.probePath ?? path}`, s.status ?? 200, s.probe)
    return `${gw.proxy}${path}`
  }

  async function upstreamSaw(url: string, opts: SendOpts = {}): Promise<EchoBody> {
    return echoed(await send(url, opts))
  }

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.14 (every array empty)', async () => {
      const p = await admin(gw, 'POST', '/plugins', {
        name: 'request-transformer',
        instance_name: 'rt-defaults',
      })
      const empty = { body: [], headers: [], querystring: [] }
      assert.deepEqual(p.config, {
        http_method: null,
        remove: empty,
        rename: empty,
        replace: { ...empty, uri: null },
        add: empty,
        append: empty,
      })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
      await admin(gw, 'DELETE', `/plugins/${p.id}`)
    })

    it('accepts remove entries without colons, and every protocol', async () => {
      const p = await admin(gw, 'POST', '/plugins', {
        name: 'request-transformer',
        instance_name: 'rt-remove',
        protocols: ['http', 'tcp'],
        config: { remove: { headers: ['just_a_key'], body: ['just_a_key'], querystring: ['just_a_key'] } },
      })
      assert.deepEqual(p.config && (p.config as { remove: unknown }).remove, {
        headers: ['just_a_key'],
        body: ['just_a_key'],
        querystring: ['just_a_key'],
      })
      await admin(gw, 'DELETE', `/plugins/${p.id}`)
    })

    it('refuses bad entries with 400 and the field at fault', async () => {
      const cases: [Record<string, unknown>, unknown][] = [
        [{ add: { headers: ['just_a_key'] } }, { add: { headers: ['invalid value: just_a_key'] } }],
        [{ replace: { headers: ['just_a_key'] } }, { replace: { headers: ['invalid value: just_a_key'] } }],
        [{ append: { headers: ['just_a_key'] } }, { append: { headers: ['invalid value: just_a_key'] } }],
        [{ http_method: 'HELLO!' }, { http_method: 'invalid value: HELLO!' }],
        [
          { add: { querystring: ['ok:1', 'uri_param2:'] } },
          { add: { querystring: [null, "key 'uri_param2' has no value"] } },
        ],
        [{ add: { body: ['just_a_key'] } }, { add: { body: ["key 'just_a_key' has no value"] } }],
        [{ rename: { headers: ['a:b c'] } }, { rename: { headers: ["'b c' is not a valid header"] } }],
        [
          { remove: { headers: ['bad header'] } },
          { remove: { headers: ["'bad header' is not a valid header"] } },
        ],
        [
          { add: { headers: ['bad header:v'] } },
          { add: { headers: ["'bad header' is not a valid header"] } },
        ],
        [{ replace: { uri: 12 } }, { replace: { uri: 'expected a string' } }],
      ]
      for (const [config, fields] of cases) {
        const r = await refused(gw, '/plugins', { name: 'request-transformer', config })
        assert.equal(r.status, 400, JSON.stringify(config))
        assert.equal(r.body.name, 'schema violation')
        assert.deepEqual(r.body.fields, { config: fields }, JSON.stringify(config))
      }
    })

    it('refuses query and body templates that do not parse', async () => {
      const r = await refused(gw, '/plugins', {
        name: 'request-transformer',
        config: { add: { querystring: ['uri_param2:$(uri_captures user2)'] } },
      })
      assert.equal(r.status, 400)
      const msg = (r.body.fields as { config: { add: { querystring: string[] } } }).config.add.querystring[0]
      assert.match(msg, /^value '\$\(uri_captures user2\)' is not in supported format, error:/)
    })

    it('refuses null arrays: required field missing', async () => {
      const nulls = { body: null, headers: null, querystring: null }
      const r = await refused(gw, '/plugins', {
        name: 'request-transformer',
        config: { remove: nulls, rename: nulls, replace: nulls, add: nulls, append: nulls },
      })
      assert.equal(r.status, 400)
      const missing = {
        body: 'required field missing',
        headers: 'required field missing',
        querystring: 'required field missing',
      }
      assert.deepEqual((r.body.fields as { config: unknown }).config, {
        remove: missing,
        rename: missing,
        replace: missing,
        add: missing,
        append: missing,
      })
    })
  })

  describe('add', () => {
    let url: string
    before(async () => {
      url = await transformed({
        add: { headers: ['h1:v1', 'h2:value:2'], querystring: ['q1:v1'], body: ['p1:v1'] },
      })
    })

    it('adds missing headers and query arguments (a value may contain colons)', async () => {
      const e = await upstreamSaw(url)
      assert.deepEqual(values(e, 'h1'), ['v1'])
      assert.deepEqual(values(e, 'h2'), ['value:2'])
      assert.equal(query(e).get('q1'), 'v1')
    })

    it('leaves present ones alone', async () => {
      const e = await upstreamSaw(`${url}?q1=v2`, { headers: { h1: 'v3' } })
      assert.deepEqual(values(e, 'h1'), ['v3'])
      assert.deepEqual(query(e).getAll('q1'), ['v2'])
    })

    it('adds form, JSON and multipart fields only when absent; Content-Length follows', async () => {
      let e = await upstreamSaw(url, { method: 'POST', ...urlencoded({ hello: 'world' }) })
      assert.equal(form(e).get('hello'), 'world')
      assert.equal(form(e).get('p1'), 'v1')
      assert.equal(e.headers['content-length'], String(Buffer.byteLength(e.body)))
      e = await upstreamSaw(url, { method: 'POST', ...urlencoded({ p1: 'should not change' }) })
      assert.equal(form(e).get('p1'), 'should not change')
      e = await upstreamSaw(url, { method: 'POST', ...json({ hello: 'world' }) })
      assert.deepEqual(JSON.parse(e.body), { hello: 'world', p1: 'v1' })
      assert.equal(e.headers['content-length'], String(Buffer.byteLength(e.body)))
      e = await upstreamSaw(url, { method: 'POST', ...json({ p1: 'this should not change' }) })
      assert.deepEqual(JSON.parse(e.body), { p1: 'this should not change' })
      e = await upstreamSaw(url, { method: 'POST', ...multipart({ hello: 'world' }) })
      assert.deepEqual(multipartFields(e), { hello: ['world'], p1: ['v1'] })
      e = await upstreamSaw(url, { method: 'POST', ...multipart({ p1: 'this should not change' }) })
      assert.deepEqual(multipartFields(e), { p1: ['this should not change'] })
    })

    it('adds to an empty JSON body; leaves a malformed one as it is', async () => {
      let e = await upstreamSaw(url, {
        method: 'POST',
        body: '',
        headers: { 'Content-Type': 'application/json' },
      })
      assert.deepEqual(JSON.parse(e.body), { p1: 'v1' })
      e = await upstreamSaw(url, {
        method: 'POST',
        body: 'malformed json body',
        headers: { 'Content-Type': 'application/json' },
      })
      assert.equal(e.body, 'malformed json body')
      e = await upstreamSaw(url, { method: 'POST', body: 'text', headers: { 'Content-Type': 'text/plain' } })
      assert.equal(e.body, 'text')
    })

    it('never adds Host', async () => {
      const u = await transformed({ add: { headers: ['host:mark'] } }, { route: { preserve_host: true } })
      const e = await upstreamSaw(u, { headers: { Host: 'client.test' } })
      assert.deepEqual(values(e, 'host'), ['client.test'])
    })
  })

  describe('remove', () => {
    let url: string
    before(async () => {
      url = await transformed({
        remove: { headers: ['x-to-remove'], querystring: ['q1'], body: ['toremoveform'] },
      })
    })

    it('removes the header and query argument, keeps the others', async () => {
      const e = await upstreamSaw(`${url}?q1=v1&q2=v2`, {
        headers: { 'x-to-remove': 'true', 'x-another-header': 'true' },
      })
      assert.deepEqual(values(e, 'x-to-remove'), [])
      assert.deepEqual(values(e, 'x-another-header'), ['true'])
      assert.equal(query(e).has('q1'), false)
      assert.equal(query(e).get('q2'), 'v2')
    })

    it('removes form, JSON and multipart fields', async () => {
      const fields = { toremoveform: 'yes', nottoremove: 'yes' }
      let e = await upstreamSaw(url, { method: 'POST', ...urlencoded(fields) })
      assert.equal(form(e).has('toremoveform'), false)
      assert.equal(form(e).get('nottoremove'), 'yes')
      e = await upstreamSaw(url, { method: 'POST', ...json(fields) })
      assert.deepEqual(JSON.parse(e.body), { nottoremove: 'yes' })
      e = await upstreamSaw(url, { method: 'POST', ...multipart(fields) })
      assert.deepEqual(multipartFields(e), { nottoremove: ['yes'] })
    })

    it('keeps malformed, empty and array-preserving JSON bodies intact', async () => {
      const headers = { 'Content-Type': 'application/json' }
      let e = await upstreamSaw(url, { method: 'POST', body: 'malformed json body', headers })
      assert.equal(e.body, 'malformed json body')
      e = await upstreamSaw(url, { method: 'POST', body: '{}', headers })
      assert.equal(e.body, '{}')
      assert.equal(e.headers['content-length'], '2')
      e = await upstreamSaw(url, { method: 'POST', body: '{"emptyarray":[]}', headers })
      assert.equal(e.body, '{"emptyarray":[]}')
      e = await upstreamSaw(url, { method: 'POST', body: '' })
      assert.equal(e.body, '')
      assert.equal(e.headers['content-length'], '0')
    })
  })

  describe('rename', () => {
    let url: string
    before(async () => {
      url = await transformed({
        rename: {
          headers: ['x-to-rename:x-is-renamed', 'rename:Rename', 'identical:identical'],
          querystring: ['originalparam:renamedparam', 'inexist:exist'],
          body: ['originalparam:renamedparam'],
        },
      })
    })

    it('renames a header, overriding the target; an absent one adds nothing', async () => {
      let e = await upstreamSaw(url, {
        headers: { 'x-to-rename': 'new-result', 'X-Is-Renamed': 'old-result' },
      })
      assert.deepEqual(values(e, 'x-to-rename'), [])
      assert.deepEqual(values(e, 'x-is-renamed'), ['new-result'])
      e = await upstreamSaw(url, { headers: { 'x-a-header': 'true' } })
      assert.deepEqual(values(e, 'x-is-renamed'), [])
      assert.deepEqual(values(e, 'x-a-header'), ['true'])
    })

    it('renames when only the case changes; renaming to the same name keeps the header', async () => {
      const e = await upstreamSaw(url, { headers: { rename: 'true', identical: 'true' } })
      assert.ok(names(e).includes('Rename'), JSON.stringify(names(e)))
      assert.ok(!names(e).includes('rename'))
      assert.deepEqual(values(e, 'identical'), ['true'])
    })

    it('renames query arguments; a missing one does not override an existing target', async () => {
      let e = await upstreamSaw(`${url}?originalparam=true&nottorename=true`)
      assert.equal(query(e).has('originalparam'), false)
      assert.equal(query(e).get('renamedparam'), 'true')
      assert.equal(query(e).get('nottorename'), 'true')
      e = await upstreamSaw(`${url}?exist=true`)
      assert.equal(query(e).get('exist'), 'true')
    })

    it('renames form, JSON and multipart fields', async () => {
      const fields = { originalparam: 'yes', nottorename: 'yes' }
      let e = await upstreamSaw(url, { method: 'POST', ...urlencoded(fields) })
      assert.equal(form(e).has('originalparam'), false)
      assert.equal(form(e).get('renamedparam'), 'yes')
      e = await upstreamSaw(url, { method: 'POST', ...json(fields) })
      assert.deepEqual(JSON.parse(e.body), { nottorename: 'yes', renamedparam: 'yes' })
      e = await upstreamSaw(url, { method: 'POST', ...multipart(fields) })
      assert.deepEqual(multipartFields(e), { nottorename: ['yes'], renamedparam: ['yes'] })
      e = await upstreamSaw(url, { method: 'POST', ...urlencoded({ 'x-a-header': 'true' }) })
      assert.equal(form(e).has('renamedparam'), false)
    })
  })

  describe('replace', () => {
    let url: string
    before(async () => {
      url = await transformed({ replace: { headers: ['h1:v1'], querystring: ['q1:v1'], body: ['p1:v1'] } })
    })

    it('replaces present headers and query arguments only', async () => {
      let e = await upstreamSaw(`${url}?q1=v&q2=v2`, { headers: { h1: 'V', h2: 'v2' } })
      assert.deepEqual(values(e, 'h1'), ['v1'])
      assert.deepEqual(values(e, 'h2'), ['v2'])
      assert.equal(query(e).get('q1'), 'v1')
      assert.equal(query(e).get('q2'), 'v2')
      e = await upstreamSaw(`${url}?q2=v2`, { headers: { h2: 'v2' } })
      assert.deepEqual(values(e, 'h1'), [])
      assert.equal(query(e).has('q1'), false)
    })

    it('replaces present form, JSON and multipart fields only', async () => {
      let e = await upstreamSaw(url, { method: 'POST', ...urlencoded({ p1: 'v', p2: 'v1' }) })
      assert.equal(form(e).get('p1'), 'v1')
      assert.equal(form(e).get('p2'), 'v1')
      e = await upstreamSaw(url, { method: 'POST', ...urlencoded({ p2: 'v1' }) })
      assert.equal(form(e).has('p1'), false)
      e = await upstreamSaw(url, {
        method: 'POST',
        body: '{"emptyarray":[], "p1":"v"}',
        headers: json({}).headers,
      })
      assert.equal(e.body, '{"emptyarray":[],"p1":"v1"}')
      e = await upstreamSaw(url, { method: 'POST', ...json({ p2: 'v1' }) })
      assert.deepEqual(JSON.parse(e.body), { p2: 'v1' })
      e = await upstreamSaw(url, { method: 'POST', ...multipart({ p1: 'v', p2: 'v1' }) })
      assert.deepEqual(multipartFields(e), { p2: ['v1'], p1: ['v1'] })
      e = await upstreamSaw(url, { method: 'POST', ...multipart({ p2: 'v1' }) })
      assert.deepEqual(multipartFields(e), { p2: ['v1'] })
    })

    it('replaces Host, present or not', async () => {
      const u = await transformed({ replace: { headers: ['host:replaced.test'] } })
      const e = await upstreamSaw(u)
      assert.deepEqual(values(e, 'host'), ['replaced.test'])
    })
  })

  describe('append', () => {
    let url: string
    before(async () => {
      url = await transformed({
        append: {
          headers: ['h1:v1', 'h1:v2', 'h1:#value_with_hash', 'h2:v1'],
          querystring: ['q1:v1', 'q1:v2', 'q2:v1'],
          body: ['p1:v1', 'p1:v2', 'p2:value:1'],
        },
      })
    })

    it('adds one more header value each time', async () => {
      let e = await upstreamSaw(url)
      assert.deepEqual(values(e, 'h1'), ['v1', 'v2', '#value_with_hash'])
      assert.deepEqual(values(e, 'h2'), ['v1'])
      e = await upstreamSaw(url, { headers: { h1: 'v0' } })
      assert.deepEqual(values(e, 'h1'), ['v0', 'v1', 'v2', '#value_with_hash'])
    })

    it('appends query arguments', async () => {
      const e = await upstreamSaw(`${url}?q1=v0`)
      assert.deepEqual(query(e).getAll('q1'), ['v0', 'v1', 'v2'])
      assert.deepEqual(query(e).getAll('q2'), ['v1'])
    })

    it('appends form and JSON fields; multipart bodies are left alone', async () => {
      let e = await upstreamSaw(url, { method: 'POST', ...urlencoded({ p1: 'v0' }) })
      assert.deepEqual(form(e).getAll('p1'), ['v0', 'v1', 'v2'])
      assert.deepEqual(form(e).getAll('p2'), ['value:1'])
      e = await upstreamSaw(url, { method: 'POST', ...json({ p1: 'v0' }) })
      assert.deepEqual(JSON.parse(e.body), { p1: ['v0', 'v1', 'v2'], p2: ['value:1'] })
      const mp = multipart({ p1: 'This should not change' })
      e = await upstreamSaw(url, { method: 'POST', ...mp })
      assert.equal(e.body, mp.body)
    })
  })

  describe('order of operations', () => {
    it('remove → rename → replace → add → append, keeping the configured case', async () => {
      const url = await transformed({
        add: { headers: ['X-aDDed:a1', 'x-aDDed2:b1', 'x-Added3:c2'] },
        remove: { headers: ['X-To-Remove'] },
        append: { headers: ['X-aDDed:a2', 'X-aDDed:a3'] },
        replace: { headers: ['x-to-Replace:false'] },
      })
      let e = await upstreamSaw(url, {
        headers: { 'x-to-remove': 'true', 'x-to-replace': 'true', 'x-added3': 'c1' },
      })
      assert.deepEqual(values(e, 'x-to-remove'), [])
      assert.deepEqual(values(e, 'x-to-replace'), ['false'])
      assert.deepEqual(values(e, 'x-added3'), ['c1'])
      assert.deepEqual(values(e, 'x-added2'), ['b1'])
      assert.deepEqual(values(e, 'x-added'), ['a1', 'a2', 'a3'])
      assert.ok(names(e).includes('X-aDDed') && names(e).includes('x-aDDed2'))
      e = await upstreamSaw(url, { headers: { 'x-added': 'a0' } })
      assert.deepEqual(values(e, 'x-added'), ['a0', 'a2', 'a3'])
      assert.ok(names(e).includes('X-aDDed'))
    })

    it('remove then add of the same header sets it (present or not)', async () => {
      const url = await transformed({
        http_method: 'POST',
        remove: { headers: ['Authorization'] },
        add: { headers: ['Authorization:Basic test'] },
      })
      const cases: Record<string, string>[] = [{ Authorization: 'Basic dGVzdDp0ZXN0' }, {}]
      for (const headers of cases) {
        const e = await upstreamSaw(url, { headers })
        assert.deepEqual(values(e, 'authorization'), ['Basic test'])
      }
    })

    it('the body follows the Content-Type the header step left', async () => {
      const url = await transformed({
        http_method: 'POST',
        add: { headers: ['Content-Type:application/json'], body: ['body:somecontent'] },
      })
      const e = await upstreamSaw(url)
      assert.equal(e.method, 'POST')
      assert.deepEqual(values(e, 'content-type'), ['application/json'])
      assert.deepEqual(JSON.parse(e.body), { body: 'somecontent' })
    })
  })

  describe('http_method', () => {
    it('GET → POST keeps the query string', async () => {
      const url = await transformed({ http_method: 'POST' })
      const e = await upstreamSaw(`${url}?hello=world&name=marco`)
      assert.equal(e.method, 'POST')
      assert.equal(query(e).get('hello'), 'world')
      assert.equal(query(e).get('name'), 'marco')
    })

    it('POST → GET moves form fields into the query string', async () => {
      const url = await transformed({ http_method: 'GET' })
      const e = await upstreamSaw(`${url}?hello=world`, { method: 'POST', ...urlencoded({ name: 'marco' }) })
      assert.equal(e.method, 'GET')
      assert.equal(query(e).get('hello'), 'world')
      assert.equal(query(e).get('name'), 'marco')
    })
  })

  describe('replace.uri', () => {
    it('replaces the upstream path (query kept), with regex captures', async () => {
      const url = await transformed(
        { replace: { uri: '/requests/user2/$(uri_captures.user2)/user1/$(uri_captures.user1)' } },
        {
          route: { paths: ['~/rtcap/user1/(?P<user1>\\w+)/user2/(?P<user2>\\S+)'] },
          probePath: '/rtcap/user1/a/user2/b',
        },
      )
      assert.ok(url)
      const e = await upstreamSaw(`${gw.proxy}/rtcap/user1/foo/user2/bar?x=1`)
      assert.equal(e.url, '/requests/user2/bar/user1/foo?x=1')
    })

    it('uri_captures[0] is the whole match; a group that did not participate is nil', async () => {
      await transformed(
        { replace: { uri: '/requests$(uri_captures[0])' } },
        { route: { paths: ['~/rtzero/(?<user1>\\w+)'] }, probePath: '/rtzero/a' },
      )
      let e = await upstreamSaw(`${gw.proxy}/rtzero/foo`)
      assert.equal(e.url, '/requests/rtzero/foo')
      await transformed(
        { replace: { uri: '/api/v2/$(uri_captures["subpath"])$(uri_captures[1])' } },
        { route: { paths: ['~/(gw/)?rtapi/(?<subpath>htest)$'] }, probePath: '/rtapi/htest' },
      )
      e = await upstreamSaw(`${gw.proxy}/rtapi/htest`)
      assert.equal(e.url, '/api/v2/htest')
      e = await upstreamSaw(`${gw.proxy}/gw/rtapi/htest`)
      assert.equal(e.url, '/api/v2/htestgw/')
    })
  })

  describe('templates', () => {
    it('captures into the query string (sorted, escaped)', async () => {
      await transformed(
        {
          add: {
            querystring: [
              'uri_param1:$(uri_captures.user1)',
              'uri_param2[some_index][1]:$(uri_captures.user2)',
            ],
          },
        },
        {
          route: { paths: ['~/rtq/user1/(?P<user1>\\w+)/user2/(?P<user2>\\S+)'], strip_path: false },
          probePath: '/rtq/user1/a/user2/b',
        },
      )
      const e = await upstreamSaw(`${gw.proxy}/rtq/user1/foo/user2/bar?q1=20`)
      assert.equal(
        e.url,
        '/rtq/user1/foo/user2/bar?q1=20&uri_param1=foo&uri_param2%5Bsome_index%5D%5B1%5D=bar',
      )
    })

    it('`or` gives a default when a capture is missing', async () => {
      const url = await transformed({
        add: {
          querystring: [
            "uri_param1:$(uri_captures.user1 or 'default1')",
            'uri_param2:$(uri_captures.user2 or "default2")',
          ],
        },
      })
      const e = await upstreamSaw(`${url}?q1=20`)
      assert.equal(query(e).get('q1'), '20')
      assert.equal(query(e).get('uri_param1'), 'default1')
      assert.equal(query(e).get('uri_param2'), 'default2')
    })

    it('headers and query_params, as the request came (a removed or replaced header keeps its old value)', async () => {
      const url = await transformed({
        add: {
          querystring: ['host:$(headers.host)', 'h:$(headers["x-remove-header"])'],
          headers: ['x-test-header:$(query_params.q1)', 'x-old:$(headers.x_replace_header)'],
        },
        replace: { headers: ['x-replace-header:the new value'] },
        remove: { querystring: ['q1'], headers: ['x-remove-header'] },
      })
      const e = await upstreamSaw(`${url}?q1=20`, {
        headers: {
          Host: 'test15.test',
          'x-remove-header': 'its a test',
          'x-replace-header': 'the old value',
        },
      })
      assert.equal(query(e).has('q1'), false)
      assert.equal(query(e).get('host'), 'test15.test')
      assert.equal(query(e).get('h'), 'its a test')
      assert.deepEqual(values(e, 'x-test-header'), ['20'])
      assert.deepEqual(values(e, 'x-old'), ['the old value'])
      assert.deepEqual(values(e, 'x-replace-header'), ['the new value'])
      assert.deepEqual(values(e, 'x-remove-header'), [])
    })

    it('a quoted $(…) is a literal; type() helps with repeated headers', async () => {
      const url = await transformed({
        add: {
          querystring: [`q1:$('$(uri_captures.user1)')`],
          headers: [
            'X-Foo-Transformed:$(type(headers["X-Foo"]) == "table" and headers["X-Foo"][1] .. "-first" or headers["X-Foo"])',
          ],
        },
      })
      let e = await upstreamSaw(url, { headers: { 'X-Foo': ['1', '2'] } })
      assert.equal(query(e).get('q1'), '$(uri_captures.user1)')
      assert.deepEqual(values(e, 'x-foo-transformed'), ['1-first'])
      e = await upstreamSaw(url, { headers: { 'X-Foo': 'single' } })
      assert.deepEqual(values(e, 'x-foo-transformed'), ['single'])
    })

    it('reads kong.ctx.shared, set by a plugin that ran before', async () => {
      const url = await transformed(
        { add: { querystring: ['shared_param1:$(shared.my_version)'] } },
        { plugins: [{ name: 'pre-function', config: { access: ["kong.ctx.shared.my_version = '1.2.3'"] } }] },
      )
      const e = await upstreamSaw(url)
      assert.equal(query(e).get('shared_param1'), '1.2.3')
    })

    it('a template that fails ends the request with 500 An unexpected error occurred', async () => {
      const configs = [
        { add: { querystring: ['q1:$(ERROR())'] } },
        { add: { headers: ['x-user-agent:$(foo(headers["User-Agent"]))'] } },
        { add: { headers: ['X-Write-Attempt:$(shared.written = true)'] } },
        { replace: { uri: '/requests/user2/$(10 * uri_captures.user1)' } },
      ]
      for (const config of configs) {
        const url = await transformed(config, { status: 500 })
        const res = await send(url)
        assert.equal(res.status, 500, JSON.stringify(config))
        assert.equal(message(res), 'An unexpected error occurred')
      }
      await until(async () => /failed to render the template/.test(gw.errorLog() + gw.output()))
    })
  })

  it('leaves an untouched query string byte for byte', async () => {
    const url = await transformed({})
    const e = await upstreamSaw(`${url}?expected=$&+,/:;?@`)
    assert.equal(e.url, '/?expected=$&+,/:;?@')
  })

  it("after key-auth: a hidden credential stays hidden, the consumer's headers are visible", async () => {
    await admin(gw, 'POST', '/consumers', { username: 'rt-alice' })
    await admin(gw, 'POST', '/consumers/rt-alice/key-auth', { key: 'rt-alice-key' })
    const url = await transformed(
      {
        add: { querystring: ['user:$(headers["x-consumer-username"])'], headers: ['x-extra:1'] },
        rename: { headers: ['apikey:x-key'] },
      },
      { plugins: [{ name: 'key-auth', config: { hide_credentials: true } }], status: 401 },
    )
    const e = await upstreamSaw(`${url}?apikey=rt-alice-key&a=1`, { headers: { apikey: 'rt-alice-key' } })
    assert.equal(query(e).has('apikey'), false)
    assert.equal(query(e).get('user'), 'rt-alice')
    assert.equal(query(e).get('a'), '1')
    assert.deepEqual(values(e, 'apikey'), [])
    assert.deepEqual(values(e, 'x-key'), [])
    assert.deepEqual(values(e, 'x-extra'), ['1'])
  })
})
