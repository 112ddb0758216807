// The Lua runtime of pre-function / post-function: language detection, the `kong` and `ngx`
// bridges over a fake PDK, values both ways, per-request tables, waits, errors and the sandbox.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Kong, Row } from '../../../pdk/types.js'
import { compilePhases, detectLanguage, OFF_MESSAGE, type PhaseName, parseError } from '../sandbox.js'

interface Fake {
  kong: Kong
  /** Every PDK call the code made, as `name args…`. */
  calls: string[]
  lines: string[]
  exits: unknown[][]
  shared: Row
  plugin: Row
  headers: Record<string, string>
}

function fake(configuration: Row = { untrusted_lua: 'sandbox' }, headers: Record<string, string> = {}): Fake {
  const calls: string[] = []
  const lines: string[] = []
  const exits: unknown[][] = []
  const shared: Row = {}
  const plugin: Row = {}
  const record =
    (name: string, result?: unknown) =>
    (...args: unknown[]) => {
      calls.push([name, ...args.map((a) => JSON.stringify(a))].join(' '))
      return result
    }
  const log = Object.fromEntries(
    ['debug', 'info', 'notice', 'warn', 'err', 'crit', 'alert', 'emerg'].map((l) => [
      l,
      (...a: unknown[]) => lines.push(`${l}: ${a.join('')}`),
    ]),
  )
  const kong = {
    configuration,
    log: { ...log, serialize: () => ({ request: { uri: '/x' }, response: { status: 200 } }) },
    request: {
      getHeader: (n: string) => headers[n.toLowerCase()] ?? null,
      getHeaders: () => ({ ...headers, multi: ['a', 'b'] }),
      getPath: () => '/rest/user/login',
      getMethod: () => 'GET',
      getQuery: () => ({ a: '1', flag: true, many: ['x', 'y'] }),
      getQueryArg: (n: string) => (n === 'a' ? '1' : null),
      getRawBody: async () => Buffer.from('{"user":"ann"}'),
      getBody: async () => ({ body: { user: 'ann', tags: ['a'], none: null }, mime: 'application/json' }),
    },
    service: {
      request: {
        setHeader: record('service.request.setHeader'),
        clearHeader: record('service.request.clearHeader'),
        setPath: record('service.request.setPath'),
        setQuery: record('service.request.setQuery'),
        setRawBody: (b: Buffer) => calls.push(`service.request.setRawBody ${b.toString('hex')}`),
      },
    },
    response: {
      exit: (...a: unknown[]) => exits.push(['exit', ...a]),
      error: (...a: unknown[]) => exits.push(['error', ...a]),
      setHeader: record('response.setHeader'),
      clearHeader: record('response.clearHeader'),
      getHeader: (n: string) => (n === 'content-type' ? 'text/html' : null),
      getStatus: () => 201,
      setStatus: record('response.setStatus'),
    },
    client: {
      getIp: () => '127.0.0.1',
      getConsumer: () => ({ id: 'c1', username: 'ann', custom_id: null }),
    },
    router: { getRoute: () => ({ id: 'r1', paths: ['/a', '/b'] }) },
    ctx: { shared, plugin },
    nginx: { getVar: (n: string) => (n === 'request_uri' ? '/p?q=1' : null) },
    node: { getId: () => 'node-1' },
    ip: { isTrusted: (ip: string) => ip === '127.0.0.1' },
  } as unknown as Kong
  return { kong, calls, lines, exits, shared, plugin, headers }
}

/** Runs the phases given, in Kong's order, over the same fake request. */
async function run(f: Fake, config: Partial<Record<PhaseName, string[]>>, timeoutMs = 1000): Promise<void> {
  const c = compilePhases('pre-function', config, timeoutMs)
  for (const phase of ['rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const)
    await c[phase]?.run(f.kong)
}

/** The message of the error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    return (err as Error).message
  }
  return 'no error'
}

const SUPABASE = `local auth = kong.request.get_header("authorization")
if auth == nil or auth == "" or auth:find("^%s*$") then
  kong.service.request.clear_header("authorization")
end
`

const HUAN = `local key = kong.request.get_header("x-api-key") or kong.request.get_header("apikey")
if key and key ~= "" then
  local valid_key = "\${AGENT_API_KEY}"
  if key ~= valid_key then
    return kong.response.exit(401, { message = "Invalid authentication credentials" })
  end

  local path = kong.request.get_path()
  local allowed_paths = {
    ["/api/Quantitys"] = true,
    ["/rest/products/search"] = true,
    ["/rest/user/login"] = true
  }

  if not allowed_paths[path] then
    return kong.response.exit(403, { message = "You cannot consume this service" })
  end
end
`

describe('serverless functions: language', () => {
  it('JavaScript first, then Lua; code valid in both is JavaScript', () => {
    assert.equal(detectLanguage('kong.response.setHeader("a", "b")', true), 'javascript')
    assert.equal(detectLanguage('const x = await kong.request.getBody()', true), 'javascript')
    assert.equal(detectLanguage(SUPABASE, true), 'lua')
    assert.equal(detectLanguage(HUAN, true), 'lua')
    assert.equal(detectLanguage('local n = 0\nreturn function() n = n + 1 end', false), 'lua')
    // The ambiguity: valid in both languages.
    assert.equal(detectLanguage('kong.log.err("x")', true), 'javascript')
    assert.equal(detectLanguage('', true), 'javascript')
    // A Lua comment on the first line makes such code Lua.
    assert.equal(detectLanguage('--[[lua]] kong.log.err("x")', true), 'lua')
  })

  it('names both errors when the code is neither', () => {
    assert.equal(
      parseError('post-function', 'local x = ', true),
      "error parsing post-function: JavaScript: line 1: Unexpected identifier 'x'; Lua: line 1: unexpected symbol near <eof>",
    )
    assert.equal(
      parseError('pre-function', 'if x then\n  y(\nend', true),
      "error parsing pre-function: JavaScript: line 1: Unexpected identifier 'x'; Lua: line 3: unexpected symbol near 'end'",
    )
    assert.equal(parseError('pre-function', HUAN, false), undefined)
  })

  it('a phase may mix JavaScript and Lua snippets', async () => {
    const f = fake()
    await run(f, {
      access: ['kong.ctx.shared.js = 1', 'local n = kong.ctx.shared.js\nkong.ctx.shared.lua = n + 1'],
    })
    assert.deepEqual(f.shared, { js: 1, lua: 2 })
  })
})

describe('serverless functions: the corpus snippets', () => {
  it("supabase's post-function clears an empty or blank Authorization", async () => {
    for (const [value, cleared] of [
      [undefined, true],
      ['', true],
      ['   ', true],
      ['Bearer x', false],
    ] as const) {
      const f = fake(undefined, value === undefined ? {} : { authorization: value })
      await run(f, { access: [SUPABASE] })
      assert.deepEqual(f.calls, cleared ? ['service.request.clearHeader "authorization"'] : [], String(value))
    }
  })

  it("HuanNT03's pre-function: 401 for a wrong key, 403 for another path, through otherwise", async () => {
    const wrong = fake(undefined, { 'x-api-key': 'nope' })
    await run(wrong, { access: [HUAN, 'kong.ctx.shared.after = true'] })
    assert.deepEqual(wrong.exits, [
      ['exit', 401, { message: 'Invalid authentication credentials' }, undefined],
    ])
    assert.equal(wrong.shared.after, undefined)
    // The file's key is a literal placeholder (Kong does not expand it).
    const right = fake(undefined, { apikey: ['$', '{AGENT_API_KEY}'].join('') })
    await run(right, { access: [HUAN, 'kong.ctx.shared.after = true'] })
    assert.deepEqual(right.exits, [])
    assert.equal(right.shared.after, true)
    const none = fake()
    await run(none, { access: [HUAN] })
    assert.deepEqual(none.exits, [])
  })
})

describe('serverless functions: the kong bridge', () => {
  it('reads the request and converts values both ways', async () => {
    const f = fake(undefined, { host: 'example.test' })
    await run(f, {
      access: [
        `local h = kong.request.get_headers()
         local q = kong.request.get_query()
         local c = kong.client.get_consumer()
         local r = kong.router.get_route()
         kong.ctx.shared.out = {
           host = h.host, multi = h.multi, flag = q.flag, many = q.many, a = kong.request.get_query_arg("a"),
           missing = kong.request.get_query_arg("zz") == nil, method = kong.request.get_method(),
           user = c.username, custom_null = c.custom_id == ngx.null, paths = #r.paths, ip = kong.client.get_ip(),
           trusted = kong.ip.is_trusted("127.0.0.1"), node = kong.node.get_id(), empty = {},
           version = type(kong.version) == "string", float = 1.5,
         }`,
      ],
    })
    assert.deepEqual(f.shared.out, {
      host: 'example.test',
      multi: ['a', 'b'],
      flag: true,
      many: ['x', 'y'],
      a: '1',
      missing: true,
      method: 'GET',
      user: 'ann',
      custom_null: true,
      paths: 2,
      ip: '127.0.0.1',
      trusted: true,
      node: 'node-1',
      empty: {},
      version: true,
      float: 1.5,
    })
  })

  it('changes the upstream request; bodies are bytes', async () => {
    const f = fake()
    await run(f, {
      access: [
        `kong.service.request.set_header("X-A", "1")
         kong.service.request.set_path("/new")
         kong.service.request.set_query({ b = "2", list = { "x", "y" } })
         kong.service.request.set_raw_body("\\0\\255")`,
      ],
    })
    assert.deepEqual(f.calls, [
      'service.request.setHeader "X-A" "1"',
      'service.request.setPath "/new"',
      'service.request.setQuery {"b":"2","list":["x","y"]}',
      'service.request.setRawBody 00ff',
    ])
  })

  it('kong.response.exit with a table body and headers ends the snippet in access, not in header_filter', async () => {
    const f = fake()
    await run(f, {
      access: [
        '--!lua\nkong.response.exit(418, { message = "teapot", list = { 1, 2 } }, { ["X-A"] = "b" })\nkong.ctx.shared.a = 1',
      ],
      header_filter: ['--!lua\nkong.response.exit(200)\nkong.ctx.shared.h = 1'],
    })
    assert.deepEqual(f.exits, [
      ['exit', 418, { message: 'teapot', list: [1, 2] }, { 'X-A': 'b' }],
      ['exit', 200, undefined, undefined],
    ])
    assert.equal(f.shared.a, undefined)
    assert.equal(f.shared.h, 1)
    // exit inside pcall ends the snippet too (Kong yields)
    const g = fake()
    await run(g, { access: ['--!lua\npcall(kong.response.exit, 403, "no")\nkong.ctx.shared.after = 1'] })
    assert.deepEqual(g.exits, [['exit', 403, Buffer.from('no'), undefined]])
    assert.equal(g.shared.after, undefined)
  })

  it('kong.ctx.shared and kong.ctx.plugin persist across phases; JavaScript sees copies', async () => {
    const f = fake()
    f.shared.from_js = { list: [1, 2] }
    await run(f, {
      access: [
        `kong.ctx.shared.t = { n = 1 }
         kong.ctx.plugin.p = "mine"
         kong.ctx.shared.seen = kong.ctx.shared.from_js.list[2]`,
      ],
      header_filter: [
        'local t = kong.ctx.shared.t\nt.n = t.n + 1\nkong.response.set_header("X-P", kong.ctx.plugin.p)',
      ],
      log: [
        `local keys = {}
         for k in pairs(kong.ctx.shared) do keys[#keys + 1] = k end
         table.sort(keys)
         kong.ctx.shared.log = table.concat(keys, ",") .. " " .. kong.ctx.shared.t.n`,
      ],
    })
    assert.equal(f.shared.log, 'from_js,seen,t 2')
    assert.deepEqual(f.shared.t, { n: 1 }) // the copy made at assignment
    assert.equal(f.shared.seen, 2)
    assert.deepEqual(f.plugin, { p: 'mine' })
    assert.deepEqual(f.calls, ['response.setHeader "X-P" "mine"'])
  })

  it('a returned function is cached and keeps its upvalues', async () => {
    const f = fake()
    const c = compilePhases('pre-function', {
      access: [
        'kong.ctx.shared.loads = (kong.ctx.shared.loads or 0) + 1\nlocal n = 0\nreturn function() n = n + 1 kong.ctx.shared.n = n end',
      ],
    })
    for (let i = 1; i <= 3; i++) {
      await c.access?.run(f.kong)
      assert.equal(f.shared.n, i)
    }
    assert.equal(f.shared.loads, 1)
  })

  it('waits for the request body in access; refuses to in header_filter', async () => {
    const f = fake()
    await run(f, {
      access: [
        `local raw = kong.request.get_raw_body()
         local body, err, mime = kong.request.get_body()
         kong.ctx.shared.r = { raw = raw, user = body.user, none = body.none == ngx.null, mime = mime, err = err == nil }`,
      ],
    })
    assert.deepEqual(f.shared.r, {
      raw: '{"user":"ann"}',
      user: 'ann',
      none: true,
      mime: 'application/json',
      err: true,
    })
    const g = fake()
    assert.equal(
      await failure(run(g, { header_filter: ['local b = kong.request.get_raw_body()'] })),
      'config.header_filter[0]: LuaError: line 1: kong.request.get_raw_body cannot wait in header_filter (synchronous phase)',
    )
  })

  it('kong.log concatenates its arguments with tostring', async () => {
    const f = fake()
    await run(f, {
      access: [
        '--!lua\nkong.log.err("a", 1, nil, true)\nkong.log.notice("n")\nngx.log(ngx.WARN, "w", 2)\nprint("p", 1)',
      ],
    })
    assert.deepEqual(f.lines, ['err: a1niltrue', 'notice: n', 'warn: w2', 'notice: p\t1'])
  })

  it('cjson encodes and decodes, with cjson.null; cjson.safe returns errors', async () => {
    const f = fake()
    await run(f, {
      access: [
        `local cjson = require "cjson"
         local safe = require "cjson.safe"
         local t = cjson.decode('{"a":[1,2,{"b":null}],"s":"x/y"}')
         local _, err = safe.decode("{bad")
         kong.ctx.shared.r = {
           enc = cjson.encode({ list = { 1, 2 }, url = "a/b", null = cjson.null }),
           b = t.a[3].b == cjson.null, n = #t.a, s = t.s, err = type(err),
           ok = pcall(cjson.decode, "{bad") == false,
         }`,
      ],
    })
    const r = f.shared.r as Row
    assert.deepEqual(JSON.parse(r.enc as string), { list: [1, 2], url: 'a/b', null: null })
    assert.match(r.enc as string, /a\\\/b/)
    assert.deepEqual({ ...r, enc: 0 }, { enc: 0, b: true, n: 3, s: 'x/y', err: 'string', ok: true })
  })
})

describe('serverless functions: ngx', () => {
  it('ngx.var, ngx.req, ngx.ctx and ngx.header', async () => {
    const f = fake(undefined, { 'x-a': '1' })
    await run(f, {
      access: [
        `--!lua
         ngx.ctx.v = ngx.var.request_uri
         ngx.req.set_header("X-B", ngx.req.get_headers()["x-a"])
         ngx.req.set_uri("/up")`,
      ],
      header_filter: [
        '--!lua\nngx.header["X-Ctx"] = ngx.ctx.v\nngx.header.x_gone = nil\nkong.ctx.shared.s = ngx.status',
      ],
    })
    assert.deepEqual(f.calls, [
      'service.request.setHeader "X-B" "1"',
      'service.request.setPath "/up"',
      'response.setHeader "X-Ctx" "/p?q=1"',
      'response.clearHeader "x-gone"',
    ])
    assert.equal(f.shared.s, 201)
  })

  it('ngx.say and ngx.exit end the request with that body and status', async () => {
    const f = fake()
    await run(f, {
      access: [
        '--!lua\nngx.status = 202\nngx.say("hello ", { "a", "b" })\nngx.exit(ngx.HTTP_OK)\nkong.ctx.shared.after = 1',
      ],
    })
    assert.deepEqual(f.exits, [['exit', 202, Buffer.from('hello ab\n'), { 'Content-Type': 'text/plain' }]])
    assert.equal(f.shared.after, undefined)
    const g = fake()
    await run(g, { access: ['--!lua\nngx.status = 202\nngx.print("x")'] })
    assert.deepEqual(g.exits, [['exit', 202, Buffer.from('x'), { 'Content-Type': 'text/plain' }]])
    const h = fake()
    await run(h, { access: ['--!lua\nngx.exit(ngx.HTTP_FORBIDDEN)'] })
    assert.deepEqual(h.exits, [['error', 403]])
  })
})

describe('serverless functions: Lua errors and the sandbox', () => {
  it('labels runtime errors with the element and the line', async () => {
    const f = fake()
    assert.equal(
      await failure(run(f, { access: ['kong.ctx.shared.a = 1', 'local x\nlocal y = x.field'] })),
      "config.access[1]: LuaError: line 2: attempt to index a nil value (local 'x')",
    )
    assert.equal(
      await failure(run(f, { access: ['local t = {}\nerror({ code = 1 })'] })),
      'config.access[0]: LuaError: (error object is a table value)',
    )
    assert.equal(
      await failure(run(f, { access: ['local ok = kong.service.request.no_such()'] })),
      "config.access[0]: LuaError: line 1: attempt to call a nil value (field 'no_such')",
    )
  })

  it('stops endless loops at the time budget; the runtime stays usable', async () => {
    const f = fake()
    assert.match(
      await failure(run(f, { access: ['while true do end'] }, 200)),
      // The count hook (LuaError) normally stops it; under heavy load the vm watchdog may be first.
      /^config\.access\[0\]: (LuaError: .*execution|Error: Script execution) timed out after 200ms$/,
    )
    await run(f, { access: ['local ok = true\nkong.ctx.shared.ok = ok'] }, 200)
    assert.equal(f.shared.ok, true)
  })

  it('sandbox: no os.execute, io, debug, bytecode, string.dump, or unlisted require', async () => {
    const f = fake()
    await run(f, {
      access: [
        `local r = {}
         r.execute = type(os.execute)
         r.io = type(io)
         r.debug = type(debug)
         r.dump = type(string.dump)
         r.package = type(package)
         r.dofile = type(dofile)
         r.getenv = type(os.getenv)
         r.time = type(os.time)
         r.strmeta = getmetatable("")
         local ok, err = pcall(require, "io")
         r.require = err
         local ok2, err2 = pcall(load, "return 1", "x", "b")
         r.load = err2
         r.text = load("return 1 + 1")()
         kong.ctx.shared.r = r`,
      ],
    })
    const r = f.shared.r as Row
    assert.equal(r.execute, 'nil')
    assert.equal(r.io, 'nil')
    assert.equal(r.debug, 'nil')
    assert.equal(r.dump, 'nil')
    assert.equal(r.package, 'nil')
    assert.equal(r.dofile, 'nil')
    assert.equal(r.getenv, 'nil')
    assert.equal(r.time, 'function')
    assert.equal(r.strmeta, false)
    assert.match(r.require as string, /require 'io' not allowed within sandbox$/)
    assert.match(r.load as string, /loading of bytecode is not allowed within sandbox$/)
    assert.equal(r.text, 2)
  })

  it('sandbox: instances do not share their globals or library tables', async () => {
    const f = fake()
    await run(f, { access: ['--!lua\nstring.upper = nil\nshared_global = 1'] })
    await run(f, { access: ['--!lua\nkong.ctx.shared.r = { string.upper("a"), shared_global == nil }'] })
    assert.deepEqual(f.shared.r, ['A', true])
  })

  it('sandbox: untrusted_lua_sandbox_environment and _requires extend it', async () => {
    const f = fake({
      untrusted_lua: 'sandbox',
      untrusted_lua_sandbox_environment: ['os.getenv'],
      untrusted_lua_sandbox_requires: ['string'],
    })
    await run(f, {
      access: [
        '--!lua\nkong.ctx.shared.r = { type(os.getenv), type(os.execute), require("string").upper("a") }',
      ],
    })
    assert.deepEqual(f.shared.r, ['function', 'nil', 'A'])
  })

  it('untrusted_lua = on: the whole standard library; off: nothing runs', async () => {
    const f = fake({ untrusted_lua: 'on' })
    await run(f, {
      access: [
        '--!lua\nkong.ctx.shared.r = { type(os.getenv), type(io.write), type(require("cjson").encode) }',
      ],
    })
    assert.deepEqual(f.shared.r, ['function', 'function', 'function'])
    const g = fake({ untrusted_lua: 'off' })
    assert.equal(await failure(run(g, { access: ['local x = 1\nkong.ctx.shared.ran = x'] })), OFF_MESSAGE)
    assert.equal(g.shared.ran, undefined)
  })

  it('kong.configuration is masked in sandbox mode', async () => {
    const f = fake({ untrusted_lua: 'sandbox', pg_password: 'hunter2', plugins: ['bundled'] })
    await run(f, {
      access: ['local c = kong.configuration\nkong.ctx.shared.c = { c.pg_password, c.plugins[1] }'],
    })
    assert.deepEqual(f.shared.c, ['******', 'bundled'])
  })
})
