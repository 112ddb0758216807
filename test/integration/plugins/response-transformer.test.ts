// response-transformer (plugins.md §6.15) through the real gateway and a real upstream whose
// response (Content-Type, body, chunking) the test chooses: every header operation, the JSON
// operations with json_types, which Content-Types count as JSON, Content-Length handling, bodies
// streamed in many chunks, responses a plugin ended early, and the schema's refusals.
import assert from 'node:assert/strict'
import type http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { refused, untilProxy } from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const DEFAULT_BODY = { a: 1, b: 'two', list: [1], nested: { x: 1 }, f: false, n: null }

/**
 * The upstream: answers with `?body=` (default DEFAULT_BODY) as `?ct=` (default
 * application/json), in `?chunks=` pieces (chunked) or with a Content-Length, plus fixed headers.
 */
function respond(req: http.IncomingMessage, res: http.ServerResponse): void {
  const u = new URL(req.url ?? '/', 'http://upstream')
  const big = Number(u.searchParams.get('big') ?? '0')
  const body = Buffer.from(
    big > 0
      ? JSON.stringify({ big_field: '*'.repeat(big), b: 'x' })
      : (u.searchParams.get('body') ?? JSON.stringify(DEFAULT_BODY)),
  )
  const ct = u.searchParams.get('ct') ?? 'application/json'
  const chunks = Number(u.searchParams.get('chunks') ?? '1')
  const headers = [
    'X-Up-A',
    'a',
    'X-Up-Multi',
    '1',
    'X-Up-Multi',
    '2',
    'X-Rename-Me',
    'r',
    'Cache-Control',
    'no-cache',
  ]
  if (ct !== 'none') headers.push('Content-Type', ct)
  if (chunks <= 1) {
    res.writeHead(200, [...headers, 'Content-Length', String(body.length)])
    res.end(body)
    return
  }
  res.writeHead(200, headers)
  const size = Math.ceil(body.length / chunks)
  let i = 0
  const next = (): void => {
    if (i >= body.length) {
      res.end()
      return
    }
    res.write(body.subarray(i, i + size))
    i += size
    setTimeout(next, 2)
  }
  next()
}

/** Every value of a response header, in order. */
function values(res: ProxyResponse, name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    if (res.rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(res.rawHeaders[i + 1])
  return out
}

const parsed = (res: ProxyResponse): unknown => JSON.parse(res.body)

describe('response-transformer', () => {
  let up: Upstream
  let gw: Gateway
  let seq = 0
  before(async () => {
    up = await startUpstream(respond)
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  /**
   * A service with response-transformer (and `plugins`) enabled before its route exists, so the
   * route's first 200/`status` already went through the plugin. Returns the route's URL.
   */
  async function transformed(
    config: Record<string, unknown>,
    opts: { plugins?: Record<string, unknown>[]; status?: number } = {},
  ): Promise<string> {
    seq++
    const name = `rs-${process.pid}-${seq}`
    const path = `/rs${seq}`
    await admin(gw, 'POST', '/services', { name, url: up.url })
    for (const p of opts.plugins ?? []) await admin(gw, 'POST', `/services/${name}/plugins`, p)
    await admin(gw, 'POST', `/services/${name}/plugins`, { name: 'response-transformer', config })
    await admin(gw, 'POST', `/services/${name}/routes`, { paths: [path] })
    await untilProxy(`${gw.proxy}${path}`, opts.status ?? 200)
    return `${gw.proxy}${path}`
  }

  const q = (params: Record<string, string>) => `?${new URLSearchParams(params)}`

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.15 (every array empty); HTTP protocols only', async () => {
      const p = await admin(gw, 'POST', '/plugins', {
        name: 'response-transformer',
        instance_name: 'rs-defaults',
      })
      const typed = { json: [], json_types: [], headers: [] }
      assert.deepEqual(p.config, {
        remove: { json: [], headers: [] },
        rename: { json: [], headers: [] },
        replace: typed,
        add: typed,
        append: typed,
      })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
      await admin(gw, 'DELETE', `/plugins/${p.id}`)
      const tcp = await refused(gw, '/plugins', { name: 'response-transformer', protocols: ['tcp'] })
      assert.equal(tcp.status, 400)
      assert.ok((tcp.body.fields as Record<string, unknown>).protocols)
    })

    it('accepts remove entries without colons and header renames', async () => {
      const p = await admin(gw, 'POST', '/plugins', {
        name: 'response-transformer',
        instance_name: 'rs-accepts',
        config: {
          remove: { headers: ['just_a_key'], json: ['just_a_key'] },
          rename: { headers: ['x-old:x-new'], json: ['old:new'] },
        },
      })
      const c = p.config as { remove: { headers: string[]; json: string[] }; rename: { headers: string[] } }
      assert.deepEqual(c.remove, { json: ['just_a_key'], headers: ['just_a_key'] })
      assert.deepEqual(c.rename.headers, ['x-old:x-new'])
      await admin(gw, 'DELETE', `/plugins/${p.id}`)
    })

    it('refuses bad entries with 400 and the field at fault', async () => {
      const cases: [Record<string, unknown>, unknown][] = [
        [{ add: { headers: ['just_a_key'] } }, { add: { headers: ['invalid value: just_a_key'] } }],
        [{ replace: { headers: ['just_a_key'] } }, { replace: { headers: ['invalid value: just_a_key'] } }],
        [{ append: { headers: ['just_a_key'] } }, { append: { headers: ['invalid value: just_a_key'] } }],
        [{ add: { json: ['just_a_key'] } }, { add: { json: ['invalid value: just_a_key'] } }],
        [{ rename: { headers: ['just_a_key'] } }, { rename: { headers: ['invalid value: just_a_key'] } }],
        [{ rename: { headers: ['a:b c'] } }, { rename: { headers: ["'b c' is not a valid header"] } }],
        [{ rename: { headers: ['a b:c'] } }, { rename: { headers: ["'a b' is not a valid header"] } }],
        [
          { add: { json_types: ['string', 'integer'] } },
          { add: { json_types: [null, 'expected one of: boolean, number, string'] } },
        ],
      ]
      for (const [config, fields] of cases) {
        const r = await refused(gw, '/plugins', { name: 'response-transformer', config })
        assert.equal(r.status, 400, JSON.stringify(config))
        assert.equal(r.body.name, 'schema violation')
        assert.deepEqual(r.body.fields, { config: fields }, JSON.stringify(config))
      }
    })

    it('refuses null arrays: required field missing', async () => {
      const r = await refused(gw, '/plugins', {
        name: 'response-transformer',
        config: {
          remove: { json: null, headers: null },
          add: { json: null, json_types: null, headers: null },
        },
      })
      assert.equal(r.status, 400)
      const missing = 'required field missing'
      assert.deepEqual((r.body.fields as { config: unknown }).config, {
        remove: { json: missing, headers: missing },
        add: { json: missing, json_types: missing, headers: missing },
      })
    })
  })

  describe('headers', () => {
    it('remove (every value), rename (values kept), replace and add by presence, append always', async () => {
      const url = await transformed({
        remove: { headers: ['X-Up-Multi', 'x-absent'] },
        rename: { headers: ['x-rename-me:X-Renamed', 'x-absent:x-never'] },
        replace: { headers: ['cache-control:no-store', 'x-absent:nope'] },
        add: { headers: ['X-Added:yes', 'X-Up-A:not-added'] },
        append: { headers: ['X-Up-A:b', 'X-New:n1', 'X-New:n2:with-colon'] },
      })
      const res = await send(url)
      assert.equal(res.status, 200)
      assert.deepEqual(values(res, 'x-up-multi'), [])
      assert.deepEqual(values(res, 'x-rename-me'), [])
      assert.deepEqual(values(res, 'x-renamed'), ['r'])
      assert.ok(res.rawHeaders.includes('X-Renamed'))
      assert.deepEqual(values(res, 'x-never'), [])
      assert.deepEqual(values(res, 'cache-control'), ['no-store'])
      assert.deepEqual(values(res, 'x-absent'), [])
      assert.deepEqual(values(res, 'x-added'), ['yes'])
      assert.deepEqual(values(res, 'x-up-a'), ['a', 'b'])
      assert.deepEqual(values(res, 'x-new'), ['n1', 'n2:with-colon'])
      // No JSON operation: the body and its length are the upstream's.
      assert.deepEqual(parsed(res), DEFAULT_BODY)
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)))
    })

    it('presence is judged on the headers as received: a removed header can still be renamed', async () => {
      const url = await transformed({
        remove: { headers: ['X-Up-A'] },
        rename: { headers: ['X-Up-A:X-Was-A'] },
        add: { headers: ['X-Up-A:re-added'] },
      })
      const res = await send(url)
      assert.deepEqual(values(res, 'x-up-a'), [])
      assert.deepEqual(values(res, 'x-was-a'), ['a'])
    })

    it('multiple values survive a rename', async () => {
      const url = await transformed({ rename: { headers: ['X-Up-Multi:X-Multi'] } })
      const res = await send(url)
      assert.deepEqual(values(res, 'x-multi'), ['1', '2'])
    })
  })

  describe('JSON body', () => {
    let url: string
    before(async () => {
      url = await transformed({
        remove: { json: ['b'] },
        rename: { json: ['nested:renamed', 'absent:never'] },
        replace: { json: ['a:10', 'f:replaced', 'n:was-null', 'absent:x'], json_types: ['number'] },
        add: {
          json: ['a:no', 'f:added-over-false', 'flag:true', 'path:/x/"y"'],
          json_types: ['string', 'string', 'boolean'],
        },
        append: { json: ['list:2', 'list:three', 'fresh:1'], json_types: ['number', 'string', 'number'] },
      })
    })

    it('remove → rename → replace → add → append on top-level keys, with json_types', async () => {
      const res = await send(url)
      assert.equal(res.status, 200)
      assert.deepEqual(parsed(res), {
        a: 10,
        list: [1, 2, 'three'],
        renamed: { x: 1 },
        f: 'added-over-false',
        n: 'was-null',
        flag: true,
        path: '/x/"y"',
        fresh: [1],
      })
    })

    it('drops Content-Length (chunked instead) and handles bodies streamed in many chunks', async () => {
      const res = await send(url)
      assert.equal(res.headers['content-length'], undefined)
      assert.equal(res.headers['transfer-encoding'], 'chunked')
      const streamed = await send(`${url}${q({ big: String(1024 * 1024), chunks: '40' })}`)
      const body = parsed(streamed) as Record<string, unknown>
      assert.equal((body.big_field as string).length, 1024 * 1024)
      assert.equal(body.b, undefined)
      assert.equal(body.fresh !== undefined, true)
    })

    it('JSON-compatible Content-Types are transformed, others pass untouched with their length', async () => {
      for (const ct of [
        'application/json; charset=utf-8',
        'application/vnd.api+json',
        'text/html, application/json',
      ]) {
        const res = await send(`${url}${q({ ct })}`)
        assert.equal((parsed(res) as Record<string, unknown>).a, 10, ct)
        assert.equal(res.headers['content-length'], undefined, ct)
      }
      for (const ct of ['text/plain', 'application/json;', 'text/json', 'none']) {
        const res = await send(`${url}${q({ ct })}`)
        assert.deepEqual(parsed(res), DEFAULT_BODY, ct)
        assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)), ct)
      }
    })

    it('an invalid JSON body goes out unchanged (and a warning is logged)', async () => {
      const res = await send(`${url}${q({ body: 'not json {', chunks: '3' })}`)
      assert.equal(res.status, 200)
      assert.equal(res.body, 'not json {')
      await until(async () =>
        /body transform failed: failed parsing json body/.test(gw.errorLog() + gw.output()),
      )
    })

    it('a JSON value that is not an object is left as it is', async () => {
      const res = await send(`${url}${q({ body: '[1, 2]' })}`)
      assert.deepEqual(parsed(res), [1, 2])
    })
  })

  it('also transforms a response a plugin ended early (key-auth 401)', async () => {
    const url = await transformed(
      { add: { json: ['extra:1'], headers: ['x-rs:yes'] }, remove: { json: ['request_id'] } },
      { plugins: [{ name: 'key-auth' }], status: 401 },
    )
    const res = await send(url)
    assert.equal(res.status, 401)
    assert.deepEqual(parsed(res), { message: 'No API key found in request', extra: '1' })
    assert.deepEqual(values(res, 'x-rs'), ['yes'])
    assert.deepEqual(values(res, 'www-authenticate'), ['Key'])
    assert.equal(res.headers['content-length'], undefined)
  })

  it('HEAD requests and empty bodies get through', async () => {
    const url = await transformed({ add: { json: ['p1:v1'] } })
    const head = await send(url, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.body, '')
    const empty = await send(`${url}${q({ body: '' })}`)
    assert.equal(empty.status, 200)
    assert.equal(empty.body, '')
  })
})
