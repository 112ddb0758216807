import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Kong, Row } from '../../pdk/types.js'
import { compilePhases, OFF_MESSAGE, PhaseCode, parseError, Sandbox } from './sandbox.js'

interface FakeKong {
  kong: Kong
  lines: [string, string][]
  exits: unknown[][]
}

/** Just enough of `kong` for the runtime: configuration, log, response.exit/error. */
function fakeKong(configuration: Row = { untrusted_lua: 'sandbox' }): FakeKong {
  const lines: [string, string][] = []
  const exits: unknown[][] = []
  const log = Object.fromEntries(
    ['debug', 'info', 'notice', 'warn', 'err'].map((l) => [
      l,
      (...a: unknown[]) => lines.push([l, a.join('')]),
    ]),
  )
  const kong = {
    configuration,
    log,
    response: {
      exit: (...a: unknown[]) => exits.push(['exit', ...a]),
      error: (...a: unknown[]) => exits.push(['error', ...a]),
    },
    ctx: { shared: {} as Row },
  } as unknown as Kong
  return { kong, lines, exits }
}

/** Values made in the sandbox's realm, as plain host values (for deepEqual). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v))
}

function phase(codes: string[], name: 'access' | 'header_filter' | 'log' = 'access', timeout = 1000) {
  return new PhaseCode(new Sandbox('pre-function'), name, codes, timeout)
}

describe('serverless functions: compilation', () => {
  it('accepts valid bodies and does not run them', () => {
    assert.equal(parseError('pre-function', 'throw new Error("never at validation")', true), undefined)
    assert.equal(parseError('pre-function', 'let n = 0\nreturn () => { n++ }', false), undefined)
    assert.equal(parseError('pre-function', 'return "not a function"', false), undefined)
  })

  it('reports syntax errors with the plugin name, both languages and the line', () => {
    assert.equal(
      parseError('pre-function', 'print(', true),
      'error parsing pre-function: JavaScript: line 1: Unexpected end of input; Lua: line 1: unexpected symbol near <eof>',
    )
    assert.equal(
      parseError('post-function', 'let a = 1\nlet b = }', true),
      "error parsing post-function: JavaScript: line 2: Unexpected token '}'; Lua: line 1: syntax error near 'a'",
    )
  })

  it('cannot escape the function body at compile time', () => {
    assert.match(
      parseError('pre-function', '}); while (true) {} (function () {', true) ?? '',
      /^error parsing/,
    )
  })

  it('allows await only in async-capable phases', () => {
    assert.equal(parseError('pre-function', 'await kong.request.getBody()', true), undefined)
    assert.match(
      parseError('pre-function', 'await kong.request.getBody()', false) ?? '',
      /await is only valid in async functions/,
    )
  })
})

describe('serverless functions: execution', () => {
  it('runs the functions in order with kong', () => {
    const f = fakeKong()
    const p = phase(['kong.ctx.shared.trace = ["a"]', 'kong.ctx.shared.trace.push("b")'])
    assert.equal(p.run(f.kong), undefined)
    assert.deepEqual(plain(f.kong.ctx.shared.trace), ['a', 'b'])
  })

  it('caches a returned function and keeps its closure state', () => {
    const f = fakeKong()
    const p = phase([
      'let n = 0; kong.ctx.shared.init = (kong.ctx.shared.init ?? 0) + 1; return (k) => { k.ctx.shared.n = ++n }',
    ])
    for (let i = 1; i <= 3; i++) {
      p.run(f.kong)
      assert.equal(f.kong.ctx.shared.n, i)
    }
    assert.equal(f.kong.ctx.shared.init, 1)
  })

  it('awaits async bodies, and an async body may return the function to cache', async () => {
    const f = fakeKong()
    const p = phase([
      'await null; kong.ctx.shared.a = 1',
      'let n = 0; await null; return async (k) => { await null; k.ctx.shared.n = ++n }',
    ])
    const r = p.run(f.kong)
    assert.ok(r instanceof Promise)
    await r
    await p.run(f.kong)
    assert.equal(f.kong.ctx.shared.a, 1)
    assert.equal(f.kong.ctx.shared.n, 2)
  })

  it('stops after kong.response.exit in access, not in header_filter', () => {
    const f = fakeKong()
    phase(['kong.response.exit(403, { message: "no" })', 'kong.ctx.shared.after = true']).run(f.kong)
    assert.deepEqual(plain(f.exits), [['exit', 403, { message: 'no' }]])
    assert.equal(f.kong.ctx.shared.after, undefined)
    const g = fakeKong()
    phase(['kong.response.exit(204)', 'kong.ctx.shared.after = true'], 'header_filter').run(g.kong)
    assert.equal(g.kong.ctx.shared.after, true)
  })

  it('refuses promises in synchronous phases', () => {
    const f = fakeKong()
    assert.throws(
      () => phase(['return Promise.resolve()'], 'header_filter').run(f.kong),
      /config\.header_filter\[0\]: header_filter functions must be synchronous/,
    )
  })

  it('labels errors with the failing element', async () => {
    const f = fakeKong()
    assert.throws(
      () => phase(['1', 'throw new Error("boom")']).run(f.kong),
      /^Error: config\.access\[1\]: Error: boom/,
    )
    await assert.rejects(
      async () => phase(['await null; null.x']).run(f.kong),
      /config\.access\[0\]: TypeError/,
    )
  })

  it('stops endless synchronous code at the timeout; the context stays usable', () => {
    const f = fakeKong()
    const sandbox = new Sandbox('pre-function')
    const loop = new PhaseCode(
      sandbox,
      'access',
      ['if (kong.ctx.shared.spin) for (;;) {}', 'kong.ctx.shared.ok = true'],
      50,
    )
    f.kong.ctx.shared.spin = true
    assert.throws(() => loop.run(f.kong), /config\.access\[0\]: .*Script execution timed out after 50ms/)
    f.kong.ctx.shared.spin = false
    loop.run(f.kong)
    assert.equal(f.kong.ctx.shared.ok, true)
  })

  it('has no Node globals; console writes through kong.log', () => {
    const f = fakeKong()
    phase([
      `kong.ctx.shared.types = [typeof require, typeof process, typeof Buffer, typeof setTimeout, typeof module, typeof globalThis.process]
       kong.ctx.shared.builtins = [typeof JSON, typeof Map, typeof Promise, typeof URL]
       console.log('hello', { a: 1 }); console.error('bad', 2)`,
    ]).run(f.kong)
    assert.deepEqual(plain(f.kong.ctx.shared.types), [
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ])
    assert.deepEqual(plain(f.kong.ctx.shared.builtins), ['object', 'function', 'function', 'undefined'])
    assert.deepEqual(f.lines, [
      ['info', 'hello { a: 1 }'],
      ['err', 'bad 2'],
    ])
  })

  it('refuses dynamic import()', async () => {
    const f = fakeKong()
    await phase([
      'try { await import("node:fs"); kong.ctx.shared.r = "loaded" } catch (e) { kong.ctx.shared.r = e.code }',
    ]).run(f.kong)
    assert.equal(f.kong.ctx.shared.r, 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')
  })

  it('masks secrets of kong.configuration in sandbox mode', () => {
    const f = fakeKong({ untrusted_lua: 'sandbox', pg_password: 'hunter2', plugins: ['bundled'] })
    phase(['kong.ctx.shared.c = [kong.configuration.pg_password, kong.configuration.plugins[0]]']).run(f.kong)
    assert.deepEqual(plain(f.kong.ctx.shared.c), ['******', 'bundled'])
  })

  it('untrusted_lua = off refuses to run code', () => {
    const f = fakeKong({ untrusted_lua: 'off' })
    assert.throws(() => phase(['kong.ctx.shared.ran = true']).run(f.kong), { message: OFF_MESSAGE })
    assert.equal(f.kong.ctx.shared.ran, undefined)
  })

  it('untrusted_lua = on exposes the gateway globals and require', () => {
    const f = fakeKong({ untrusted_lua: 'on' })
    phase(['kong.ctx.shared.r = [typeof process, typeof Buffer, require("node:path").basename("/a/b")]']).run(
      f.kong,
    )
    assert.deepEqual(plain(f.kong.ctx.shared.r), ['object', 'function', 'b'])
  })

  it('sandbox mode links untrusted_lua_sandbox_environment and _requires', () => {
    const f = fakeKong({
      untrusted_lua: 'sandbox',
      untrusted_lua_sandbox_environment: ['Buffer', 'process.version'],
      untrusted_lua_sandbox_requires: ['node:path'],
    })
    phase([
      `kong.ctx.shared.r = [typeof Buffer, process.version === undefined, typeof process.exit, require('node:path').sep]
       try { require('node:fs') } catch (e) { kong.ctx.shared.denied = e.message }`,
    ]).run(f.kong)
    assert.deepEqual(plain(f.kong.ctx.shared.r), ['function', false, 'undefined', '/'])
    assert.equal(f.kong.ctx.shared.denied, "require 'node:fs' not allowed within sandbox")
  })

  it('compilePhases makes one context for the phases that have code', () => {
    const c = compilePhases('pre-function', {
      access: ['globalThis.x = 1'],
      log: ['kong.ctx.shared.x = x'],
      rewrite: [],
    })
    assert.equal(c.rewrite, null)
    assert.equal(c.certificate, null)
    const f = fakeKong()
    c.access?.run(f.kong)
    c.log?.run(f.kong)
    assert.equal(f.kong.ctx.shared.x, 1)
  })
})
