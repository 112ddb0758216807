// pre-function and post-function (plugins.md §6.21) through the real gateway and a real upstream:
// every phase, order around an authentication plugin, short-circuits, headers both ways, body
// rewriting, cached functions, the sandbox's globals, failures (exception, endless loop) and
// configurations the Admin API refuses.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, echoed, json, message, refused, type TestRoute } from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const PLUGINS = ['pre-function', 'post-function'] as const
type PluginName = (typeof PLUGINS)[number]

describe('pre-function / post-function', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    // A secret in the node configuration, to see it masked in kong.configuration.
    gw = await startGateway({ proxy: true, env: { PG_PASSWORD: 'fn-secret' } })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  /** Polls the proxy until `ok(response)` holds (configuration reaches the worker asynchronously). */
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

  /**
   * A fresh route with the plugin; waits until it is active. Every configuration gets an access
   * function that adds `X-Fn-Ready` to the response, the signal that the instance is in place.
   */
  async function fnRoute(
    name: PluginName,
    config: Record<string, string[]>,
    opts: Parameters<typeof send>[1] = {},
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    const access = ['kong.response.setHeader("X-Fn-Ready", "1")', ...(config.access ?? [])]
    await addPlugin(gw, { name, config: { ...config, access } }, `/routes/${r.routeId}`)
    await untilResponse(r.url, (res) => res.headers['x-fn-ready'] === '1', opts)
    return r
  }

  describe('configuration', () => {
    it('fills in every phase with an empty array; accepts a certificate-only configuration', async () => {
      for (const name of PLUGINS) {
        const r = await addRoute(gw, up.url)
        const p = await addPlugin(gw, { name, config: { access: ['return'] } }, `/routes/${r.routeId}`)
        assert.deepEqual(p.config, {
          certificate: [],
          rewrite: [],
          access: ['return'],
          header_filter: [],
          body_filter: [],
          log: [],
        })
        assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
        const r2 = await addRoute(gw, up.url)
        const cert = await addPlugin(
          gw,
          { name, config: { certificate: ['kong.log.info("hi")'] } },
          `/routes/${r2.routeId}`,
        )
        assert.deepEqual(cert.config, {
          certificate: ['kong.log.info("hi")'],
          rewrite: [],
          access: [],
          header_filter: [],
          body_filter: [],
          log: [],
        })
      }
    })

    it('refuses syntax errors as a schema violation of the element', async () => {
      for (const name of PLUGINS) {
        const one = await refused(gw, '/plugins', { name, config: { access: ['print('] } })
        assert.equal(one.status, 400)
        assert.equal(one.body.name, 'schema violation')
        assert.deepEqual(one.body.fields, {
          config: {
            access: [
              `error parsing ${name}: JavaScript: line 1: Unexpected end of input; Lua: line 1: unexpected symbol near <eof>`,
            ],
          },
        })
        const second = await refused(gw, '/plugins', {
          name,
          config: { header_filter: ['kong.response.setHeader("a", "b")', 'let x = 1\nlet y = }'] },
        })
        assert.equal(second.status, 400)
        assert.deepEqual(second.body.fields, {
          config: {
            header_filter: [
              null,
              `error parsing ${name}: JavaScript: line 2: Unexpected token '}'; Lua: line 1: syntax error near 'x'`,
            ],
          },
        })
      }
    })

    it('allows await only in rewrite, access and log', async () => {
      const ok = await refused(gw, '/plugins', {
        name: 'pre-function',
        config: { log: ['await null'] },
        route: { id: (await addRoute(gw, up.url)).routeId },
      })
      assert.equal(ok.status, 201)
      for (const phase of ['header_filter', 'body_filter', 'certificate']) {
        const r = await refused(gw, '/plugins', { name: 'pre-function', config: { [phase]: ['await null'] } })
        assert.equal(r.status, 400)
        assert.deepEqual(r.body.fields, {
          config: {
            [phase]: [
              "error parsing pre-function: JavaScript: line 1: await is only valid in async functions and the top level bodies of modules; Lua: line 1: syntax error near 'null'",
            ],
          },
        })
      }
    })

    it('requires code in at least one phase; refuses non-arrays and non-strings', async () => {
      const none = await refused(gw, '/plugins', { name: 'post-function', config: {} })
      assert.equal(none.status, 400)
      assert.deepEqual(none.body.fields, {
        '@entity': [
          "at least one of these fields must be non-empty: 'config.certificate', 'config.rewrite', 'config.access', 'config.header_filter', 'config.body_filter', 'config.log'",
        ],
      })
      const empty = await refused(gw, '/plugins', { name: 'pre-function', config: { access: [] } })
      assert.equal(empty.status, 400)
      const notArray = await refused(gw, '/plugins', { name: 'pre-function', config: { access: 'return' } })
      assert.equal(notArray.status, 400)
      assert.deepEqual(notArray.body.fields, { config: { access: 'expected an array' } })
      const notString = await refused(gw, '/plugins', { name: 'pre-function', config: { access: [42] } })
      assert.equal(notString.status, 400)
      assert.deepEqual(notString.body.fields, { config: { access: ['expected a string'] } })
    })
  })

  for (const name of PLUGINS) {
    describe(`${name}: phases`, () => {
      it('access sets upstream and downstream headers', async () => {
        const r = await fnRoute(name, {
          access: [
            'kong.service.request.setHeader("X-Up", "from-" + kong.request.getMethod())',
            'kong.response.setHeader("X-Down", kong.router.getRoute().id)',
          ],
        })
        const res = await send(r.url)
        assert.equal(echoed(res).headers['x-up'], 'from-GET')
        assert.equal(res.headers['x-down'], r.routeId)
      })

      it('header_filter sees the upstream response and changes the one sent', async () => {
        const r = await fnRoute(name, {
          header_filter: [
            'kong.response.setHeader("X-Status", String(kong.response.getStatus()))',
            'kong.response.setHeader("X-Upstream-Type", kong.service.response.getHeader("content-type"))',
            'kong.response.setStatus(201)',
          ],
        })
        const res = await send(r.url)
        assert.equal(res.status, 201)
        assert.equal(res.headers['x-status'], '200')
        assert.equal(res.headers['x-upstream-type'], 'application/json')
        assert.equal((JSON.parse(res.body) as { method: string }).method, 'GET')
      })

      it('body_filter replaces the body (header_filter clears Content-Length)', async () => {
        const r = await fnRoute(name, {
          header_filter: ['kong.response.clearHeader("Content-Length")'],
          body_filter: [
            'const body = kong.response.getRawBody()\nif (body !== null) kong.response.setRawBody(body.toString().toUpperCase())',
          ],
        })
        const res = await send(r.url, { path: `${r.path}/shout` })
        assert.equal(res.status, 200)
        assert.equal(res.headers['content-length'], undefined)
        const body = JSON.parse(res.body) as Record<string, unknown>
        assert.equal(body.URL, '/SHOUT')
        assert.equal(body.METHOD, 'GET')
      })

      it('log runs after the response (async allowed), with kong.log.serialize()', async () => {
        const marker = `log-${name}-${Date.now()}`
        const r = await fnRoute(name, {
          log: [
            `await null\nconsole.warn("${marker}", kong.log.serialize().response.status, kong.request.getHeader("x-tag"))`,
          ],
        })
        const res = await send(r.url, { headers: { 'x-tag': 'tagged' } })
        assert.equal(res.status, 200)
        await until(async () => gw.errorLog().includes(`${marker} 200 tagged`))
        assert.match(gw.errorLog(), new RegExp(`\\[warn\\].*\\[${name}\\] ${marker} 200 tagged`))
      })

      it('a returned function is cached with its state; the outer body runs once', async () => {
        const r = await fnRoute(name, {
          access: [
            'let n = 0\nkong.ctx.shared.inits = (kong.ctx.shared.inits ?? 0) + 1\nreturn (kong) => { n++; kong.response.setHeader("X-Count", String(n)) }',
          ],
        })
        // The polling in fnRoute already called it; counts keep increasing from there.
        const a = Number((await send(r.url)).headers['x-count'])
        const b = Number((await send(r.url)).headers['x-count'])
        const c = Number((await send(r.url)).headers['x-count'])
        assert.ok(a >= 1)
        assert.deepEqual([b, c], [a + 1, a + 2])
      })

      it('async access functions can await the PDK (request body)', async () => {
        const opts = {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'zed' }),
        }
        const r = await fnRoute(
          name,
          {
            access: [
              'const { body } = await kong.request.getBody()\nkong.service.request.setHeader("X-Name", body.name)',
            ],
          },
          opts,
        )
        const res = await send(r.url, opts)
        assert.equal(echoed(res).headers['x-name'], 'zed')
      })

      it('kong.response.exit short-circuits: no upstream, no later function', async () => {
        const r = await fnRoute(name, {
          access: [
            'if (kong.request.getQueryArg("stop")) return kong.response.exit(418, { message: "teapot" }, { "X-Exit": "1" })',
            'kong.response.setHeader("X-Second", "ran")',
          ],
        })
        const before = up.requests
        const res = await send(`${r.url}?stop=1`)
        assert.equal(res.status, 418)
        assert.deepEqual(json(res), { message: 'teapot' })
        assert.equal(res.headers['x-exit'], '1')
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
        assert.equal(res.headers['x-second'], undefined)
        assert.equal(up.requests, before)
        const pass = await send(r.url)
        assert.equal(pass.status, 200)
        assert.equal(pass.headers['x-second'], 'ran')
      })

      it('kong.response.error gives the templated error body', async () => {
        const r = await fnRoute(name, {
          access: ['if (kong.request.getHeader("x-deny")) kong.response.error(403, "go away")'],
        })
        const res = await send(r.url, { headers: { 'x-deny': '1' } })
        assert.equal(res.status, 403)
        assert.equal(message(res), 'go away')
      })

      it('a throwing function gives a 500 and is logged', async () => {
        const r = await fnRoute(name, {
          access: ['if (kong.request.getHeader("x-boom")) throw new Error("boom-' + name + '")'],
        })
        const res = await send(r.url, { headers: { 'x-boom': '1' } })
        assert.equal(res.status, 500)
        assert.equal(message(res), 'An unexpected error occurred')
        await until(async () => gw.errorLog().includes(`boom-${name}`))
        assert.match(gw.errorLog(), new RegExp(`\\[${name}\\] .*config\\.access\\[1\\]: Error: boom-${name}`))
        assert.equal((await send(r.url)).status, 200)
      })
    })
  }

  describe('order around an authentication plugin', () => {
    let key: string
    before(async () => {
      await admin(gw, 'POST', '/consumers', { username: 'fn-alice' })
      key = (await admin(gw, 'POST', '/consumers/fn-alice/key-auth', { key: 'fn-alice-key' })).key as string
    })

    it('pre-function runs before key-auth, post-function after it', async () => {
      const r = await addRoute(gw, up.url)
      const on = `/routes/${r.routeId}`
      await addPlugin(gw, { name: 'key-auth' }, on)
      await addPlugin(
        gw,
        {
          name: 'pre-function',
          config: {
            access: [
              'kong.ctx.shared.trace = ["pre:" + (kong.client.getConsumer()?.username ?? "none")]',
              'kong.response.setHeader("X-Pre", "ran")',
              'if (kong.request.getHeader("x-bypass")) kong.response.exit(200, "bypassed")',
            ],
          },
        },
        on,
      )
      await addPlugin(
        gw,
        {
          name: 'post-function',
          config: {
            access: [
              'kong.ctx.shared.trace.push("post:" + kong.client.getConsumer()?.username)',
              'kong.service.request.setHeader("X-Trace", kong.ctx.shared.trace.join(","))',
            ],
            header_filter: ['kong.response.setHeader("X-Post-Source", kong.response.getSource())'],
          },
        },
        on,
      )
      const ok = await untilResponse(r.url, (res) => res.headers['x-post-source'] === 'service', {
        headers: { apikey: key },
      })
      assert.equal(echoed(ok).headers['x-trace'], 'pre:none,post:fn-alice')
      assert.equal(ok.headers['x-pre'], 'ran')
      // No key: key-auth rejects after pre-function ran; post-function's access does not run, its header_filter does.
      const denied = await send(r.url)
      assert.equal(denied.status, 401)
      assert.equal(message(denied), 'No API key found in request')
      assert.equal(denied.headers['x-pre'], 'ran')
      assert.equal(denied.headers['x-post-source'], 'exit')
      // pre-function's exit happens before key-auth could refuse.
      const bypass = await send(r.url, { headers: { 'x-bypass': '1' } })
      assert.equal(bypass.status, 200)
      assert.equal(bypass.body, 'bypassed')
    })

    it('a consumer-scoped post-function applies to that consumer', async () => {
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${r.routeId}`)
      await addPlugin(gw, {
        name: 'post-function',
        consumer: { id: (await admin(gw, 'GET', '/consumers/fn-alice')).id },
        config: { access: ['kong.service.request.setHeader("X-For", kong.client.getConsumer().username)'] },
      })
      const res = await untilResponse(
        r.url,
        (x) => x.status === 200 && JSON.parse(x.body).headers['x-for'] === 'fn-alice',
        { headers: { apikey: key } },
      )
      assert.equal(echoed(res).headers['x-for'], 'fn-alice')
    })
  })

  describe('rewrite (global instances)', () => {
    it('runs before routing: it can answer requests no route matches', async () => {
      const p = await addPlugin(gw, {
        name: 'pre-function',
        config: {
          rewrite: [
            'if (kong.request.getPath() === "/fn-rewrite-exit") return kong.response.exit(200, { rewritten: true })',
            'if (kong.request.getHeader("x-rewrite")) kong.service.request.setHeader("X-Rewrite", "ran")',
          ],
        },
      })
      try {
        const res = await untilResponse(`${gw.proxy}/fn-rewrite-exit`, (x) => x.status === 200)
        assert.deepEqual(json(res), { rewritten: true })
        const r = await addRoute(gw, up.url)
        const seen = await untilResponse(r.url, (x) => x.status === 200, { headers: { 'x-rewrite': '1' } })
        assert.equal(echoed(seen).headers['x-rewrite'], 'ran')
      } finally {
        await admin(gw, 'DELETE', `/plugins/${p.id as string}`)
        await untilResponse(`${gw.proxy}/fn-rewrite-exit`, (x) => x.status === 404)
      }
    })
  })

  describe('sandbox', () => {
    it('has no require, process, module, Buffer, timers or import()', async () => {
      const r = await fnRoute('pre-function', {
        access: [
          `if (!kong.request.getQueryArg("probe")) return
           let imported
           try { await import("node:fs"); imported = "loaded" } catch (e) { imported = e.code }
           return kong.response.exit(200, {
             require: typeof require, process: typeof process, module: typeof module, buffer: typeof Buffer,
             setTimeout: typeof setTimeout, fetch: typeof fetch, globalProcess: typeof globalThis.process,
             json: typeof JSON, imported,
           })`,
        ],
      })
      const res = await send(`${r.url}?probe=1`)
      assert.deepEqual(json(res), {
        require: 'undefined',
        process: 'undefined',
        module: 'undefined',
        buffer: 'undefined',
        setTimeout: 'undefined',
        fetch: 'undefined',
        globalProcess: 'undefined',
        json: 'object',
        imported: 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING',
      })
    })

    it('calling require() fails the request with a 500', async () => {
      const r = await fnRoute('post-function', {
        access: ['if (kong.request.getHeader("x-require")) require("node:child_process")'],
      })
      const res = await send(r.url, { headers: { 'x-require': '1' } })
      assert.equal(res.status, 500)
      assert.equal(message(res), 'An unexpected error occurred')
      await until(async () => gw.errorLog().includes('ReferenceError: require is not defined'))
    })

    it('kong.configuration is readable with secrets masked', async () => {
      const r = await fnRoute('pre-function', {
        access: [
          'if (kong.request.getQueryArg("conf")) kong.response.exit(200, { plugins: kong.configuration.plugins, level: kong.configuration.log_level, pg: kong.configuration.pg_password })',
        ],
      })
      const res = await send(`${r.url}?conf=1`)
      assert.deepEqual(json(res), { plugins: ['bundled'], level: 'notice', pg: '******' })
    })

    it('an endless loop is stopped by the timeout (500); the worker survives', async () => {
      const pidCode =
        'if (kong.request.getQueryArg("pid")) return kong.response.exit(200, { pid: kong.node.getMemoryStats().workers_lua_vms[0].pid })'
      const r = await fnRoute('pre-function', {
        access: [pidCode, 'if (kong.request.getHeader("x-spin")) for (;;) {}'],
      })
      const pid = json(await send(`${r.url}?pid=1`)).pid
      assert.equal(typeof pid, 'number')
      const started = Date.now()
      const res = await send(r.url, { headers: { 'x-spin': '1' } })
      assert.equal(res.status, 500)
      assert.equal(message(res), 'An unexpected error occurred')
      assert.ok(Date.now() - started >= 900, 'the loop ran until the timeout')
      await until(async () => gw.errorLog().includes('Script execution timed out after 1000ms'))
      assert.match(
        gw.errorLog(),
        /\[pre-function\] .*config\.access\[2\]: .*Script execution timed out after 1000ms/,
      )
      // Same worker, still serving.
      assert.equal(json(await send(`${r.url}?pid=1`)).pid, pid)
      assert.equal((await send(r.url)).status, 200)
    })
  })
})

describe('pre-function / post-function with untrusted_lua = off', () => {
  let gw: Gateway
  before(async () => {
    gw = await startGateway({ proxy: true, env: { UNTRUSTED_LUA: 'off' } })
  })
  after(async () => {
    await gw.stop()
  })

  it('the Admin API refuses code, as Kong does', async () => {
    for (const name of PLUGINS) {
      const res = await refused(gw, '/plugins', { name, config: { access: ['kong.log.info("x")'] } })
      assert.equal(res.status, 400)
      assert.equal(res.body.name, 'schema violation')
      assert.deepEqual(res.body.fields, {
        config: {
          access: [
            "Error parsing function: loading of untrusted Lua code disabled because 'untrusted_lua' config option is set to 'off'",
          ],
        },
      })
    }
  })
})
