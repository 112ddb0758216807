// The Lua runtime of the serverless plugins (pre-function, post-function; plugins.md §6.21): Kong's
// Lua snippets run in fengari, a Lua 5.3 virtual machine written in JavaScript.
//
// One Lua state per worker process holds the `kong` and `ngx` bridges (bridge.ts, prelude.ts),
// made once. Each plugin instance gets its own environment (its globals) in that state, and each
// snippet is compiled once into a function of that environment. Every call runs in a Lua
// coroutine (reused from a small pool), so that a snippet can wait for a promise (the request
// body) and so that `kong.response.exit` ends it the way Kong's does (a yield). A count hook
// stops code that runs longer than its time budget.
//
// If V8 ever terminates Lua code in the middle (the vm timeout of sandbox.ts, for a single
// library call that never returns to the VM), the state may be inconsistent: the runtime is
// then replaced by a new one, and the instances compile their snippets again.
import { performance } from 'node:perf_hooks'
import { type LuaProxy, type LuaState, lauxlib, lua, lualib, to_luastring } from 'fengari'
import type { Kong } from '../../../pdk/types.js'
import { type BridgeHost, type BridgeRun, flushSay, pushKong, pushNgxHelpers } from './bridge.js'
import { PRELUDE } from './prelude.js'
import { ConversionError, NULL, pushValue, raise, toText, toValue } from './values.js'

export type LuaMode = 'sandbox' | 'on'

/** Instructions between two checks of the time budget. */
const HOOK_INSTRUCTIONS = 1000
/** Coroutines kept for reuse. */
const POOL_SIZE = 32

/** A Lua error (or a timeout) raised by a snippet. The message starts with `line N:` when known. */
export class LuaError extends Error {
  override name = 'LuaError'
}

interface Pending {
  promise: Promise<unknown>
  push: (L: LuaState, value: unknown) => number
}

class Run implements BridgeRun {
  exited = false
  pending: Pending | null = null
  deadline = Number.POSITIVE_INFINITY
  say: Buffer[] | null = null
  ngxStatus: number | null = null

  constructor(
    readonly kong: Kong,
    readonly phase: string,
    readonly stopOnExit: boolean,
    readonly async: boolean,
    readonly thread: LuaState,
    readonly timeoutMs: number,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Syntax check (configuration time): a bare state that only compiles.

let checker: LuaState | null = null

/** Null when `code` compiles as a Lua chunk, else Lua's message as `line N: …`. */
export function luaSyntaxError(code: string): string | null {
  checker ??= lauxlib.luaL_newstate()
  const bytes = to_luastring(code)
  const status = lauxlib.luaL_loadbufferx(checker, bytes, bytes.length, to_luastring('=?'), to_luastring('t'))
  const message = status === lua.LUA_OK ? null : (toText(checker, -1) ?? 'syntax error')
  lua.lua_settop(checker, 0)
  return message === null ? null : message.replace(/^\?:(\d+): /, 'line $1: ')
}

// ---------------------------------------------------------------------------------------------
// cjson: JSON through JavaScript's JSON, with lua-cjson's conventions (cjson.null, escaped `/`).

function pushCjson(L: LuaState, safe: boolean): void {
  lua.lua_newtable(L)
  lua.lua_pushjsfunction(L, (L1) => {
    let text: string | null = null
    let failure: string | null = null
    try {
      const v = toValue(L1, 1)
      text = (JSON.stringify(v === undefined ? null : v) ?? 'null').replace(/\//g, '\\/')
    } catch (err) {
      failure = err instanceof ConversionError ? `Cannot serialise: ${err.message}` : String(err)
    }
    if (failure !== null) {
      if (!safe) raise(L1, failure)
      lua.lua_pushnil(L1)
      pushValue(L1, failure)
      return 2
    }
    pushValue(L1, text)
    return 1
  })
  lua.lua_setfield(L, -2, 'encode')
  lua.lua_pushjsfunction(L, (L1) => {
    const text = toText(L1, 1)
    let value: unknown
    let failure: string | null = null
    try {
      if (text === null) throw new Error('expected a string')
      value = JSON.parse(text)
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err)
    }
    if (failure !== null) {
      if (!safe) raise(L1, failure)
      lua.lua_pushnil(L1)
      pushValue(L1, failure)
      return 2
    }
    if (value === null) lua.lua_pushlightuserdata(L1, NULL)
    else pushValue(L1, value)
    return 1
  })
  lua.lua_setfield(L, -2, 'decode')
  lua.lua_pushlightuserdata(L, NULL)
  lua.lua_setfield(L, -2, 'null')
}

// ---------------------------------------------------------------------------------------------
// The state

let generation = 0
let runtime: LuaRuntime | null = null

/** The worker's Lua runtime (a new one if the last was left broken by a termination). */
export function luaRuntime(): LuaRuntime {
  if (runtime === null || runtime.busy) runtime = new LuaRuntime(++generation)
  return runtime
}

export class LuaRuntime implements BridgeHost {
  readonly L: LuaState
  /** True while Lua runs synchronously. Still true afterwards only if V8 terminated it. */
  busy = false
  private run: Run | null = null
  private readonly threads: LuaState[] = []
  private readonly ctxTable: LuaProxy
  private readonly sandboxEnv: LuaProxy
  private readonly openEnv: LuaProxy
  /** The Lua tables standing for a request's JavaScript kong.ctx.shared / kong.ctx.plugin. */
  private readonly ctxTables = new WeakMap<object, LuaProxy>()
  /** ngx.ctx of a request, keyed by its kong.ctx.shared. */
  private readonly ngxCtx = new WeakMap<object, LuaProxy>()
  private readonly hook = (L: LuaState): void => {
    const run = this.run
    if (run !== null && performance.now() > run.deadline)
      raise(L, `execution timed out after ${run.timeoutMs}ms`)
  }

  constructor(readonly generation: number) {
    const L = lauxlib.luaL_newstate()
    this.L = L
    for (const [name, open] of [
      ['_G', lualib.luaopen_base],
      ['package', lualib.luaopen_package],
      ['coroutine', lualib.luaopen_coroutine],
      ['table', lualib.luaopen_table],
      ['io', lualib.luaopen_io],
      ['os', lualib.luaopen_os],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['utf8', lualib.luaopen_utf8],
      ['debug', lualib.luaopen_debug],
    ] as const) {
      lauxlib.luaL_requiref(L, to_luastring(name), open, true)
      lua.lua_pop(L, 1)
    }
    // A JavaScript exception escaping into Lua becomes a Lua error with its message.
    lua.lua_atnativeerror(L, (L1) => {
      const e = lua.lua_touserdata(L1, 1)
      pushValue(L1, `JavaScript error: ${e instanceof Error ? e.message : String(e)}`)
      return 1
    })

    const prelude = to_luastring(PRELUDE)
    if (
      lauxlib.luaL_loadbufferx(L, prelude, prelude.length, to_luastring('=prelude'), to_luastring('t')) !== 0
    )
      throw new Error(`Lua prelude: ${toText(L, -1)}`)
    // P: the primitives the prelude builds on.
    lua.lua_newtable(L)
    lua.lua_pushjsfunction(L, (L1) => this.pushCtx(L1))
    lua.lua_setfield(L, -2, 'ctx')
    lua.lua_pushjsfunction(L, (L1) => {
      const run = this.current(L1)
      const name = toText(L1, 1)
      pushValue(L1, name === null ? undefined : run.kong.configuration[name])
      return 1
    })
    lua.lua_setfield(L, -2, 'configuration')
    lua.lua_pushjsfunction(L, (L1) => this.pushNgxCtx(L1))
    lua.lua_setfield(L, -2, 'ngx_ctx')
    pushKong(L, this)
    pushNgxHelpers(L, this)
    pushCjson(L, false)
    pushCjson(L, true)
    lua.lua_call(L, 5, 3)
    this.ctxTable = lua.lua_toproxy(L, -3)
    this.sandboxEnv = lua.lua_toproxy(L, -2)
    this.openEnv = lua.lua_toproxy(L, -1)
    lua.lua_settop(L, 0)
  }

  // --- BridgeHost ---------------------------------------------------------------------------

  current(L: LuaState): Run {
    const run = this.run
    if (run === null) return raise(L, 'no request is being processed')
    return run
  }

  wait(L: LuaState, name: string, promise: Promise<unknown>, push: Pending['push']): never {
    const run = this.current(L)
    if (!run.async || L !== run.thread || !lua.lua_isyieldable(L)) {
      promise.then(undefined, () => undefined)
      return raise(
        L,
        run.async
          ? `${name} cannot wait inside a coroutine or a metamethod`
          : `${name} cannot wait in ${run.phase} (synchronous phase)`,
      )
    }
    run.pending = { promise, push }
    return lua.lua_yield(L, 0)
  }

  stop(L: LuaState): number {
    const run = this.current(L)
    run.exited = true
    if (L === run.thread && lua.lua_isyieldable(L)) lua.lua_yield(L, 0)
    return 0
  }

  // --- per-request tables -------------------------------------------------------------------

  private pushCtx(L: LuaState): number {
    const run = this.current(L)
    const obj = toText(L, 1) === 'plugin' ? run.kong.ctx.plugin : run.kong.ctx.shared
    const known = this.ctxTables.get(obj)
    if (known !== undefined) {
      known(L)
      return 1
    }
    this.ctxTable(L)
    lua.lua_pushjsfunction(L, (L1) => {
      const key = toText(L1, 1)
      try {
        pushValue(L1, key === null ? undefined : obj[key])
      } catch {
        lua.lua_pushnil(L1)
      }
      return 1
    })
    lua.lua_pushjsfunction(L, (L1) => {
      const key = toText(L1, 1)
      if (key === null) return 0
      try {
        const v = toValue(L1, 2)
        if (v === undefined) delete obj[key]
        else obj[key] = v
      } catch {
        // Not representable in JavaScript (a cycle): Lua keeps it, JavaScript does not see it.
      }
      return 0
    })
    lua.lua_pushjsfunction(L, (L1) => {
      pushValue(L1, Object.keys(obj))
      return 1
    })
    lua.lua_call(L, 3, 1)
    this.ctxTables.set(obj, lua.lua_toproxy(L, -1))
    return 1
  }

  private pushNgxCtx(L: LuaState): number {
    const run = this.current(L)
    const key = run.kong.ctx.shared
    let table = this.ngxCtx.get(key)
    if (table === undefined) {
      lua.lua_newtable(L)
      table = lua.lua_toproxy(L, -1)
      this.ngxCtx.set(key, table)
      return 1
    }
    table(L)
    return 1
  }

  // --- environments and chunks --------------------------------------------------------------

  /** A new environment (globals table) for one plugin instance. */
  environment(mode: LuaMode, environment: readonly string[], requires: readonly string[]): LuaProxy {
    const L = this.L
    if (mode === 'on') {
      this.openEnv(L)
      lua.lua_call(L, 0, 1)
    } else {
      this.sandboxEnv(L)
      pushValue(L, environment)
      pushValue(L, requires)
      lua.lua_call(L, 2, 1)
    }
    const env = lua.lua_toproxy(L, -1)
    lua.lua_settop(L, 0)
    return env
  }

  /** Compiles a snippet into a function of `env`. Throws LuaError for a syntax error. */
  compile(code: string, chunkname: string, env: LuaProxy): LuaProxy {
    const L = this.L
    const bytes = to_luastring(code)
    const status = lauxlib.luaL_loadbufferx(
      L,
      bytes,
      bytes.length,
      to_luastring(`=${chunkname}`),
      to_luastring('t'),
    )
    if (status !== lua.LUA_OK) {
      const message = toText(L, -1) ?? 'syntax error'
      lua.lua_settop(L, 0)
      throw new LuaError(message)
    }
    env(L)
    lua.lua_setupvalue(L, -2, 1)
    const fn = lua.lua_toproxy(L, -1)
    lua.lua_settop(L, 0)
    return fn
  }

  // --- running ------------------------------------------------------------------------------

  private thread(): LuaState {
    const pooled = this.threads.pop()
    if (pooled !== undefined) return pooled
    const thread = lua.lua_newthread(this.L)
    lua.lua_pop(this.L, 1)
    lua.lua_sethook(thread, this.hook, lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS)
    return thread
  }

  /**
   * Calls `fn` for one request. `first`: the snippet's chunk on its first call, whose result, if a
   * function, is handed to `keep` and called in its place (Kong's `return function … end`).
   * Undefined when it finished, a promise when it waits; throws LuaError when it fails.
   */
  call(
    fn: LuaProxy,
    kong: Kong,
    opts: {
      phase: string
      stopOnExit: boolean
      async: boolean
      timeoutMs: number
      chunkname: string
      keep?: (fn: LuaProxy) => void
    },
  ): undefined | Promise<void> {
    const thread = this.thread()
    const run = new Run(kong, opts.phase, opts.stopOnExit, opts.async, thread, opts.timeoutMs)
    fn(thread)
    return this.resume(run, 0, opts.chunkname, opts.keep ?? null)
  }

  private resume(
    run: Run,
    nargs: number,
    chunkname: string,
    keep: ((fn: LuaProxy) => void) | null,
  ): undefined | Promise<void> {
    const thread = run.thread
    // The hook's budget leaves the vm watchdog of sandbox.ts (same timeout) the last word.
    run.deadline =
      run.timeoutMs > 0
        ? performance.now() + Math.max(1, run.timeoutMs - Math.min(100, run.timeoutMs / 2))
        : Number.POSITIVE_INFINITY
    const saved = this.run
    this.run = run
    this.busy = true
    const status = lua.lua_resume(thread, null, nargs)
    this.busy = false
    this.run = saved

    if (status === lua.LUA_OK) {
      if (keep !== null && lua.lua_gettop(thread) > 0 && lua.lua_type(thread, 1) === lua.LUA_TFUNCTION) {
        // The chunk returned the function to run from now on: run it for this request too.
        const returned = lua.lua_toproxy(thread, 1)
        lua.lua_settop(thread, 0)
        keep(returned)
        returned(thread)
        return this.resume(run, 0, chunkname, null)
      }
      lua.lua_settop(thread, 0)
      if (this.threads.length < POOL_SIZE) this.threads.push(thread)
      this.finish(run)
      return undefined
    }
    if (status === lua.LUA_YIELD) {
      const pending = run.pending
      run.pending = null
      if (run.exited || pending === null) {
        // Ended by kong.response.exit / ngx.exit (the coroutine stays suspended and is dropped),
        // or a bare coroutine.yield() of the snippet, which ends it too.
        this.finish(run)
        return undefined
      }
      lua.lua_settop(thread, 0)
      return pending.promise.then(
        (value) => this.resume(run, pending.push(thread, value), chunkname, keep),
        (err: unknown) => {
          pushValue(thread, undefined)
          pushValue(thread, err instanceof Error ? err.message : String(err))
          return this.resume(run, 2, chunkname, keep)
        },
      )
    }
    throw new LuaError(localMessage(errorMessage(thread), chunkname))
  }

  /** Sends what ngx.say/ngx.print wrote, if the snippet did not. */
  private finish(run: Run): void {
    if (run.say !== null) flushSay(run, null)
  }
}

/** The error value on top of a dead coroutine, as text (as the standalone `lua` prints it). */
function errorMessage(thread: LuaState): string {
  if (lua.lua_gettop(thread) === 0) return 'unknown error'
  const text = toText(thread, -1)
  if (text !== null) return text
  if (lua.lua_type(thread, -1) === lua.LUA_TLIGHTUSERDATA) return '(error object is a userdata value)'
  const t = lua.lua_type(thread, -1)
  const names: Record<number, string> = {
    [lua.LUA_TNIL]: 'nil',
    [lua.LUA_TBOOLEAN]: 'boolean',
    [lua.LUA_TTABLE]: 'table',
    [lua.LUA_TFUNCTION]: 'function',
    [lua.LUA_TTHREAD]: 'thread',
    [lua.LUA_TUSERDATA]: 'userdata',
  }
  return `(error object is a ${names[t] ?? 'unknown'} value)`
}

/** `config.access[0]:3: boom` → `line 3: boom` (positions in other chunks stay as they are). */
function localMessage(message: string, chunkname: string): string {
  return message.startsWith(`${chunkname}:`)
    ? message.slice(chunkname.length + 1).replace(/^(\d+): /, 'line $1: ')
    : message
}
