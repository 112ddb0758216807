// pre-function and post-function with Kong's Lua snippets, through the real gateway and a real
// upstream: the exact snippets of the two corpus files that use them, kong.response.exit with a
// table body, headers both ways, kong.ctx across phases, waiting for the request body, ngx,
// returned functions, failures (errors, endless loops) and the sandbox's refusals.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { parse } from 'yaml'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, echoed, json, message, refused, type TestRoute } from '../../helpers/plugins.js'
import { type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const CORPUS = '/work/shared/corpus/declarative'
const SUPABASE = `${CORPUS}/supabase__supabase__kong.yml`
const HUAN = `${CORPUS}/HuanNT03__SOC_Gateway_for_Juice-shop__kong.yml`

interface PluginEntry {
  name: string
  config?: Record<string, string[]>
}

/** The config of every `name` plugin in a declarative file (services' and routes' plugins). */
function pluginsIn(file: string, name: string): Record<string, string[]>[] {
  const doc = parse(readFileSync(file, 'utf8')) as { services?: { plugins?: PluginEntry[] }[] }
  const out: Record<string, string[]>[] = []
  for (const svc of doc.services ?? [])
    for (const p of svc.plugins ?? []) if (p.name === name && p.config) out.push(p.config)
  return out
}

/** Marks the route as ready: a Lua access snippet that adds `X-Lua-Ready` to the response. */
const READY = '--!lua\nkong.response.set_header("X-Lua-Ready", "1")'

describe('pre-function / post-function: Lua snippets', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, env: { PG_PASSWORD: 'lua-secret' } })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  async function untilResponse(
    url: string,
    ok: (res: ProxyResponse) => boolean,
    opts: Parameters<typeof send>[1] = {},
  ): Promise<ProxyResponse> {
    let last: ProxyResponse | undefined
    await until(async () => {
      last = await send(url, opts)
      return ok(last)
    })
    return last as ProxyResponse
  }

  /** A fresh route with the plugin (plus READY in access), once it is active. */
  async function luaRoute(
    name: 'pre-function' | 'post-function',
    config: Record<string, string[]>,
    route: Record<string, unknown> = {},
    opts: Parameters<typeof send>[1] = {},
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url, route)
    await addPlugin(
      gw,
      { name, config: { ...config, access: [READY, ...(config.access ?? [])] } },
      `/routes/${r.routeId}`,
    )
    await untilResponse(r.url, (res) => res.headers['x-lua-ready'] === '1', opts)
    return r
  }

  describe('the corpus snippets', { skip: existsSync(SUPABASE) ? false : `${CORPUS} not found` }, () => {
    it("supabase's post-function drops an empty or blank header before proxying", async () => {
      const configs = pluginsIn(SUPABASE, 'post-function')
      assert.equal(configs.length, 2)
      for (const config of configs) {
        const code = config.access[0]
        const header = /get_header\("([^"]+)"\)/.exec(code)?.[1] as string
        const r = await luaRoute('post-function', config)
        for (const [value, kept] of [
          ['', false],
          ['   ', false],
          ['Bearer abc', true],
        ] as const) {
          const seen = echoed(await send(r.url, { headers: { [header]: value } })).headers[header]
          assert.equal(seen, kept ? value : undefined, `${header}: ${JSON.stringify(value)}`)
        }
        assert.equal(echoed(await send(r.url)).headers[header], undefined)
      }
    })

    it("HuanNT03's pre-function: 401 for a wrong key, 403 outside the allowed paths, through otherwise", async () => {
      const [config] = pluginsIn(HUAN, 'pre-function')
      const r = await addRoute(gw, up.url, { paths: ['/rest/products/search', '/lua-huan-other'] })
      await addPlugin(gw, { name: 'pre-function', config }, `/routes/${r.routeId}`)
      const search = `${gw.proxy}/rest/products/search`
      await untilResponse(search, (res) => res.status === 401, { headers: { 'x-api-key': 'wrong' } })
      const wrong = await send(search, { headers: { 'x-api-key': 'wrong' } })
      assert.equal(wrong.status, 401)
      assert.deepEqual(json(wrong), { message: 'Invalid authentication credentials' })
      assert.equal(wrong.headers['content-type'], 'application/json; charset=utf-8')
      // The file's key is the literal text of its placeholder.
      const key = ['$', '{AGENT_API_KEY}'].join('')
      const other = await send(`${gw.proxy}/lua-huan-other`, { headers: { apikey: key } })
      assert.equal(other.status, 403)
      assert.deepEqual(json(other), { message: 'You cannot consume this service' })
      assert.equal(echoed(await send(search, { headers: { 'x-api-key': key } })).method, 'GET')
      assert.equal(echoed(await send(search)).method, 'GET')
    })
  })

  for (const name of ['pre-function', 'post-function'] as const) {
    describe(`${name}: Lua`, () => {
      it('headers both ways, ngx.var and ngx.req', async () => {
        const r = await luaRoute(name, {
          access: [
            `local m = kong.request.get_method()
             kong.service.request.set_header("X-Up", "from-" .. m .. " " .. ngx.var.request_uri)
             kong.response.set_header("X-Route", kong.router.get_route().id)
             ngx.req.set_header("X-Ngx", ngx.req.get_headers()["x-in"])`,
          ],
          header_filter: [
            'local s = kong.response.get_status()\nkong.response.set_header("X-Status", tostring(s))',
          ],
        })
        const res = await send(`${r.url}/a?b=1`, { headers: { 'x-in': 'yes' } })
        const seen = echoed(res)
        assert.equal(seen.headers['x-up'], `from-GET ${r.path}/a?b=1`)
        assert.equal(seen.headers['x-ngx'], 'yes')
        assert.equal(res.headers['x-route'], r.routeId)
        assert.equal(res.headers['x-status'], '200')
      })

      it('kong.response.exit with a table body: JSON, headers, nothing after it, no upstream', async () => {
        const r = await luaRoute(name, {
          access: [
            `if kong.request.get_query_arg("stop") then
               return kong.response.exit(418, { message = "teapot", list = { 1, 2 }, nested = { ok = true } }, { ["X-Exit"] = "1" })
             end`,
            '--!lua\nkong.response.set_header("X-Second", "ran")',
          ],
        })
        const before = up.requests
        const res = await send(`${r.url}?stop=1`)
        assert.equal(res.status, 418)
        assert.deepEqual(json(res), { message: 'teapot', list: [1, 2], nested: { ok: true } })
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
        assert.equal(res.headers['x-exit'], '1')
        assert.equal(res.headers['x-second'], undefined)
        assert.equal(up.requests, before)
        assert.equal((await send(r.url)).headers['x-second'], 'ran')
      })

      it('kong.ctx.shared and kong.ctx.plugin last from access through header_filter to log', async () => {
        const marker = `lua-ctx-${name}-${Date.now()}`
        const r = await luaRoute(name, {
          access: ['kong.ctx.shared.trail = { "access" }\nkong.ctx.plugin.mine = "p"'],
          header_filter: [
            `local t = kong.ctx.shared.trail
             t[#t + 1] = "header_filter"
             kong.response.set_header("X-Trail", table.concat(t, ","))
             kong.response.set_header("X-Plugin-Ctx", kong.ctx.plugin.mine)`,
          ],
          log: [
            `local t = kong.ctx.shared.trail
             t[#t + 1] = "log"
             kong.log.warn("${marker} ", table.concat(t, ","), " ", kong.log.serialize().response.status)`,
          ],
        })
        const res = await send(r.url)
        assert.equal(res.headers['x-trail'], 'access,header_filter')
        assert.equal(res.headers['x-plugin-ctx'], 'p')
        await until(async () => gw.errorLog().includes(`${marker} access,header_filter,log 200`))
        assert.match(
          gw.errorLog(),
          new RegExp(`\\[warn\\].*\\[${name}\\] ${marker} access,header_filter,log 200`),
        )
      })

      it('waits for the request body (kong.request.get_body)', async () => {
        const opts = {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'zed', tags: ['a', 'b'] }),
        }
        const r = await luaRoute(
          name,
          {
            access: [
              `local body, err = kong.request.get_body()
               kong.service.request.set_header("X-Name", body.name .. "/" .. #body.tags)
               kong.service.request.set_header("X-Raw-Len", tostring(#kong.request.get_raw_body()))`,
            ],
          },
          {},
          opts,
        )
        const seen = echoed(await send(r.url, opts))
        assert.equal(seen.headers['x-name'], 'zed/2')
        assert.equal(seen.headers['x-raw-len'], String(opts.body.length))
        assert.equal(seen.body, opts.body)
      })

      it('a returned function is cached with its upvalues', async () => {
        const r = await luaRoute(name, {
          access: [
            'local n = 0\nreturn function()\n  n = n + 1\n  kong.response.set_header("X-Count", tostring(n))\nend',
          ],
        })
        const a = Number((await send(r.url)).headers['x-count'])
        const b = Number((await send(r.url)).headers['x-count'])
        assert.ok(a >= 1)
        assert.equal(b, a + 1)
      })

      it('a Lua error gives a 500 with the line in the log; the worker goes on', async () => {
        const r = await luaRoute(name, {
          access: [`if kong.request.get_header("x-boom") then\n  error("boom-lua-${name}")\nend`],
        })
        const res = await send(r.url, { headers: { 'x-boom': '1' } })
        assert.equal(res.status, 500)
        assert.equal(message(res), 'An unexpected error occurred')
        await until(async () => gw.errorLog().includes(`boom-lua-${name}`))
        assert.match(
          gw.errorLog(),
          new RegExp(
            `\\[${name}\\] error running access handler: .*config\\.access\\[1\\]: LuaError: line 2: boom-lua-${name}`,
          ),
        )
        assert.equal((await send(r.url)).status, 200)
      })
    })
  }

  it('ngx.say and ngx.exit answer the request', async () => {
    const r = await luaRoute('pre-function', {
      access: [
        'if ngx.var.arg_say ~= nil or kong.request.get_query_arg("say") then\n  ngx.status = 201\n  ngx.say("hello ", "lua")\n  return ngx.exit(ngx.HTTP_OK)\nend',
      ],
    })
    const res = await send(`${r.url}?say=1`)
    assert.equal(res.status, 201)
    assert.equal(res.body, 'hello lua\n')
    assert.equal(res.headers['content-type'], 'text/plain')
  })

  it('an endless loop is stopped (500); the worker survives', async () => {
    const r = await luaRoute('pre-function', {
      access: [
        'if kong.request.get_query_arg("pid") then\n  return kong.response.exit(200, { pid = kong.node.get_memory_stats().workers_lua_vms[1].pid })\nend',
        'if kong.request.get_header("x-spin") then\n  while true do end\nend',
      ],
    })
    const pid = json(await send(`${r.url}?pid=1`)).pid
    assert.equal(typeof pid, 'number')
    const res = await send(r.url, { headers: { 'x-spin': '1' } })
    assert.equal(res.status, 500)
    await until(async () => /config\.access\[2\]: .*timed out after 1000ms/.test(gw.errorLog()))
    assert.equal(json(await send(`${r.url}?pid=1`)).pid, pid)
    assert.equal((await send(r.url)).status, 200)
  })

  describe('sandbox', () => {
    it('only safe globals; kong.configuration masked', async () => {
      const r = await luaRoute('pre-function', {
        access: [
          `if not kong.request.get_query_arg("probe") then return end
           local ok, err = pcall(require, "io")
           return kong.response.exit(200, {
             io = type(io), os_execute = type(os.execute), os_time = type(os.time), debug = type(debug),
             load_bytecode = select(2, pcall(load, "return 1", "x", "b")), require_io = err,
             cjson = require("cjson").encode({ 1, 2 }), pg = kong.configuration.pg_password,
             package = type(package), dofile = type(dofile),
           })`,
        ],
      })
      const res = json(await send(`${r.url}?probe=1`))
      assert.equal(res.io, 'nil')
      assert.equal(res.os_execute, 'nil')
      assert.equal(res.os_time, 'function')
      assert.equal(res.debug, 'nil')
      assert.equal(res.package, 'nil')
      assert.equal(res.dofile, 'nil')
      assert.match(res.load_bytecode as string, /loading of bytecode is not allowed within sandbox/)
      assert.match(res.require_io as string, /require 'io' not allowed within sandbox/)
      assert.equal(res.cjson, '[1,2]')
      assert.equal(res.pg, '******')
    })

    it('calling what the sandbox lacks fails the request with a 500', async () => {
      const r = await luaRoute('post-function', {
        access: ['if kong.request.get_header("x-exec") then\n  os.execute("true")\nend'],
      })
      const res = await send(r.url, { headers: { 'x-exec': '1' } })
      assert.equal(res.status, 500)
      await until(async () => gw.errorLog().includes("attempt to call a nil value (field 'execute')"))
    })
  })

  it('the Admin API refuses code that is neither JavaScript nor Lua, naming both errors', async () => {
    const res = await refused(gw, '/plugins', { name: 'pre-function', config: { access: ['local x = '] } })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body.fields, {
      config: {
        access: [
          "error parsing pre-function: JavaScript: line 1: Unexpected identifier 'x'; Lua: line 1: unexpected symbol near <eof>",
        ],
      },
    })
  })
})

describe('pre-function with Lua and untrusted_lua = on', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, env: { UNTRUSTED_LUA: 'on' } })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('the whole standard library is there', async () => {
    const r = await addRoute(gw, up.url)
    await addPlugin(
      gw,
      {
        name: 'pre-function',
        config: {
          access: ['local t = { type(os.getenv), type(io), type(debug) }\nreturn kong.response.exit(200, t)'],
        },
      },
      `/routes/${r.routeId}`,
    )
    let last: ProxyResponse | undefined
    await until(async () => {
      last = await send(r.url)
      return last.status === 200 && last.body.startsWith('[')
    })
    assert.deepEqual(json(last as ProxyResponse), ['function', 'table', 'table'])
  })
})
