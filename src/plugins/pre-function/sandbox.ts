// The runtime of the serverless plugins (pre-function, post-function; plugins.md §6.21). Each
// configured code string is a snippet: a JavaScript function body `(kong) => …` if it compiles as
// one, else a Lua chunk (Kong's language) if it compiles as that; code valid in both languages is
// JavaScript (detectLanguage). Lua snippets run in the worker's Lua runtime (lua/). JavaScript
// snippets are compiled once per configuration into a node:vm context of their own plugin
// instance: ECMAScript built-ins, a `console` that writes through kong.log, and nothing of Node
// (no require, process, Buffer, timers, import()). Every phase run goes under vm's `timeout`,
// which bounds synchronous code in either language.
//
// node:vm is NOT a security boundary: `kong`, `console` and every value the PDK returns are
// objects of the gateway's realm, and their constructors lead back to the gateway's Function
// (and from there to `process`). The code is trusted administrator code; the context keeps honest
// code from depending on, or accidentally touching, the gateway's globals (docs/plugins/pre-function.md).
import { createRequire } from 'node:module'
import { format } from 'node:util'
import vm from 'node:vm'
import { isSecret, SECRET_PLACEHOLDER } from '../../conf/secrets.js'
import type { Kong, KongResponse, Row } from '../../pdk/types.js'
import { luaRuntime, luaSyntaxError } from './lua/runtime.js'
import { LuaEnvironment, LuaSnippet } from './lua/snippet.js'

/** The config fields, in Kong's order. */
export const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const
export type PhaseName = (typeof PHASES)[number]

/** Phases whose handlers may be asynchronous: their code may use `await` and return promises. */
export const ASYNC_PHASES: ReadonlySet<PhaseName> = new Set<PhaseName>(['rewrite', 'access', 'log'])

/** Phases where `kong.response.exit()` ends the request: the remaining functions do not run. */
const EXIT_PHASES: ReadonlySet<PhaseName> = new Set<PhaseName>(['rewrite', 'access'])

/** Longest synchronous run of one phase's functions (vm `timeout`), in milliseconds (0: unbounded). */
export const SYNC_TIMEOUT_MS = 1000

export const OFF_MESSAGE =
  "loading of untrusted code disabled because 'untrusted_lua' config option is set to 'off'"

type Fn = (kong: unknown) => unknown

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  )
}

// ---------------------------------------------------------------------------------------------
// Compilation

const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => unknown

interface Compiled {
  fn: Fn
  /** Compiled as an async function (the body uses `await`). */
  async: boolean
}

function compileIn(code: string, context: vm.Context | undefined, filename: string): Fn {
  return vm.compileFunction(code, ['kong'], {
    filename,
    ...(context === undefined ? {} : { parsingContext: context }),
  }) as Fn
}

/**
 * Compiles one code string as a function body with the parameter `kong`. A body that only parses
 * as an async function (it uses `await`) becomes one where `allowAsync`. Throws the SyntaxError.
 * `vm.compileFunction` parses the string as a function body, so code cannot close the function
 * and run anything at compile time.
 */
export function compileBody(
  code: string,
  allowAsync: boolean,
  context?: vm.Context,
  filename = 'function',
): Compiled {
  try {
    return { fn: compileIn(code, context, filename), async: false }
  } catch (err) {
    if (!allowAsync) throw err
    try {
      // Parse-only check that the string is a well-formed async function body on its own (the
      // constructor refuses code that closes the function early); nothing runs.
      new AsyncFunction('kong', code)
    } catch {
      throw err
    }
    return { fn: compileIn(`return (async () => {\n${code}\n})()`, context, filename), async: true }
  }
}

/** The language of a snippet. */
export type Language = 'javascript' | 'lua'

/** A snippet that compiles neither as JavaScript nor as Lua; the message names both errors. */
export class SnippetSyntaxError extends SyntaxError {
  override name = 'SnippetSyntaxError'
}

/** A JavaScript SyntaxError as `line N: message`. */
function jsMessage(err: unknown): string {
  const e = err as { message?: unknown; stack?: unknown }
  const message = typeof e.message === 'string' ? e.message : String(err)
  // The first stack line of a SyntaxError is `<filename>:<line>`.
  const line = typeof e.stack === 'string' ? /^function:(\d+)\n/.exec(e.stack)?.[1] : undefined
  return `${line ? `line ${line}: ` : ''}${message}`
}

/**
 * The language of a snippet: JavaScript if it compiles as a JavaScript function body (async
 * where allowed), else Lua if it compiles as a Lua chunk. Code valid in both is JavaScript.
 * Throws SnippetSyntaxError (`JavaScript: line …; Lua: line …`) when it is neither.
 */
export function detectLanguage(code: string, allowAsync: boolean): Language {
  let js: unknown
  try {
    compileBody(code, allowAsync)
    return 'javascript'
  } catch (err) {
    js = err
  }
  const lua = luaSyntaxError(code)
  if (lua === null) return 'lua'
  throw new SnippetSyntaxError(`JavaScript: ${jsMessage(js)}; Lua: ${lua}`)
}

/** The schema's message for code that does not compile, or undefined. */
export function parseError(pluginName: string, code: string, allowAsync: boolean): string | undefined {
  try {
    detectLanguage(code, allowAsync)
    return undefined
  } catch (err) {
    return `error parsing ${pluginName}: ${err instanceof Error ? err.message : String(err)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Time-bounded calls. vm's `timeout` applies to a script run: every call goes through one tiny
// script whose global `run` is a host function calling the current thunk. The watchdog covers
// everything that happens synchronously inside, whichever context the code belongs to.

let thunk: (() => unknown) | null = null
let timerContext: vm.Context | null = null
let timerScript: vm.Script | null = null

function timed<T>(fn: () => T, ms: number): T {
  if (ms <= 0) return fn()
  timerContext ??= vm.createContext({ run: () => (thunk as () => unknown)() }, { name: 'serverless timer' })
  timerScript ??= new vm.Script('run()', { filename: 'serverless-timer' })
  const saved = thunk
  thunk = fn
  try {
    return timerScript.runInContext(timerContext, { timeout: ms, displayErrors: false }) as T
  } finally {
    thunk = saved
  }
}

// ---------------------------------------------------------------------------------------------
// The `kong` the code sees: a thin per-call view of the request's kong that notices
// `kong.response.exit/error` (so that the remaining functions of the phase are skipped) and, in
// sandbox mode, shows the node configuration with secrets masked (as Kong's sandbox does). A
// Proxy per call: cheap to make, and whatever the PDK offers passes through unchanged.

let lastConfiguration: Readonly<Row> | null = null
let lastMasked: Readonly<Row> | null = null

function maskedConfiguration(conf: Readonly<Row>): Readonly<Row> {
  if (conf !== lastConfiguration || lastMasked === null) {
    const copy: Row = {}
    for (const [name, value] of Object.entries(conf))
      copy[name] = isSecret(name) && value !== null && value !== undefined ? SECRET_PLACEHOLDER : value
    lastMasked = Object.freeze(copy)
    lastConfiguration = conf
  }
  return lastMasked
}

/** The `kong` of one call: the request's kong, except `configuration` and `response`. */
class CallView implements ProxyHandler<Kong> {
  /** `kong.response.exit/error` was called during this call. */
  exited = false
  readonly kong: Kong
  private response: KongResponse | null = null

  constructor(
    real: Kong,
    private readonly configuration: Readonly<Row>,
  ) {
    this.kong = new Proxy(real, this)
  }

  get(target: Kong, prop: string | symbol): unknown {
    if (prop === 'response') {
      this.response ??= new Proxy(target.response, new ResponseView(this))
      return this.response
    }
    if (prop === 'configuration') return this.configuration
    const value = Reflect.get(target, prop, target)
    return typeof prop === 'string' && SNAKE_NAMESPACES.has(prop) ? snakeView(value) : value
  }

  /** The view's own `kong.response.exit/error` calls end the phase's remaining functions. */
  noteExit(): void {
    this.exited = true
  }
}

// Kong's snake_case names work as well as the camelCase ones (js-plugins.md §2.1), so that a Lua
// one-liner that also parses as JavaScript (`kong.service.request.set_header("X-A", "1")`) does
// the same in either language.

/** The namespaces of `kong` (and `kong.service`) whose functions answer to snake_case names. */
const SNAKE_NAMESPACES: ReadonlySet<string> = new Set([
  'request',
  'service',
  'client',
  'log',
  'router',
  'node',
  'ip',
  'plugin',
  'nginx',
])

function camelName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function snakeGet(target: object, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop, target)
  if (value !== undefined || typeof prop !== 'string' || !prop.includes('_')) return value
  return Reflect.get(target, camelName(prop), target)
}

const snakeHandler: ProxyHandler<object> = {
  get(target, prop) {
    const value = snakeGet(target, prop)
    // kong.service.request / kong.service.response
    return (prop === 'request' || prop === 'response') && value !== null && typeof value === 'object'
      ? snakeView(value)
      : value
  },
}

const snakeViews = new WeakMap<object, object>()

function snakeView(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  let view = snakeViews.get(value)
  if (view === undefined) {
    view = new Proxy(value, snakeHandler)
    snakeViews.set(value, view)
  }
  return view
}

class ResponseView implements ProxyHandler<KongResponse> {
  constructor(private readonly call: CallView) {}

  get(target: KongResponse, prop: string | symbol): unknown {
    if (prop === 'exit') return this.exit(target)
    if (prop === 'error') return this.error(target)
    return snakeGet(target, prop)
  }

  private exit(r: KongResponse): KongResponse['exit'] {
    return (...args) => {
      r.exit(...args)
      this.call.noteExit()
    }
  }

  private error(r: KongResponse): KongResponse['error'] {
    return (...args) => {
      r.error(...args)
      this.call.noteExit()
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The context of one plugin instance.

type Mode = 'sandbox' | 'on' | 'off'

function listSetting(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((s) => s !== '')
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  return []
}

/** Kong's `link`: copies `globalThis.a.b` into `target.a.b`; objects are linked, not shared. */
function link(path: string, target: Record<string, unknown>): void {
  const parts = path.split('.')
  let src: unknown = globalThis
  let dst = target
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]
    if (src === null || src === undefined) return
    const value: unknown = (src as Record<string, unknown>)[name]
    if (value === undefined) return
    if (i === parts.length - 1) {
      dst[name] = value !== null && typeof value === 'object' ? Object.create(value) : value
      return
    }
    const next = dst[name]
    if (next === null || typeof next !== 'object') dst[name] = {}
    dst = dst[name] as Record<string, unknown>
    src = value
  }
}

const LEVELS: readonly (readonly [string, 'debug' | 'info' | 'warn' | 'err'])[] = [
  ['debug', 'debug'],
  ['trace', 'debug'],
  ['log', 'info'],
  ['info', 'info'],
  ['warn', 'warn'],
  ['error', 'err'],
]

export class Sandbox {
  private ownContext: vm.Context | null = null
  private mode: Mode | null = null
  private configuration: Readonly<Row> | null = null
  /** The request whose code ran last: where `console` writes. */
  private current: Kong | null = null
  /** The globals of the instance's Lua snippets. */
  readonly lua = new LuaEnvironment()

  constructor(private readonly name: string) {}

  /** The instance's JavaScript context, made when its first JavaScript snippet is compiled. */
  get context(): vm.Context {
    if (this.ownContext === null) {
      const console: Record<string, (...args: unknown[]) => void> = {}
      for (const [method, level] of LEVELS)
        console[method] = (...args: unknown[]) => {
          this.current?.log[level](format(...args))
        }
      this.ownContext = vm.createContext(
        { console: Object.freeze(console) },
        { name: `${this.name} functions` },
      )
      if (this.mode !== null && this.configuration !== null)
        this.prepareContext(this.mode, this.configuration)
    }
    return this.ownContext
  }

  /** The `untrusted_lua` policy for Lua snippets (known once `enter` ran). */
  luaMode(): 'sandbox' | 'on' {
    return this.mode === 'on' ? 'on' : 'sandbox'
  }

  /** Resolves the node's `untrusted_lua` policy on first use and sets up the context for it. */
  private setup(configuration: Readonly<Row>): Mode {
    const setting = configuration.untrusted_lua
    const mode: Mode = setting === 'on' || setting === 'off' ? setting : 'sandbox'
    this.mode = mode
    this.configuration = configuration
    if (this.ownContext !== null) this.prepareContext(mode, configuration)
    return mode
  }

  private prepareContext(mode: Mode, configuration: Readonly<Row>): void {
    const context = this.ownContext as vm.Context
    const globals = context as Record<string, unknown>
    if (mode === 'on') {
      // Like Kong's `on`: the gateway's globals are visible (the context's own built-ins win).
      const own = new Set(vm.runInContext('Object.getOwnPropertyNames(globalThis)', context) as string[])
      for (const name of Object.getOwnPropertyNames(globalThis))
        if (!own.has(name) && !(name in globals))
          globals[name] = (globalThis as Record<string, unknown>)[name]
      globals.require = createRequire(import.meta.url)
    } else if (mode === 'sandbox') {
      for (const path of listSetting(configuration.untrusted_lua_sandbox_environment)) link(path, globals)
      const requires = new Set(listSetting(configuration.untrusted_lua_sandbox_requires))
      if (requires.size > 0) {
        const real = createRequire(import.meta.url)
        globals.require = (id: unknown) => {
          if (typeof id !== 'string' || !requires.has(id))
            throw new Error(`require '${String(id)}' not allowed within sandbox`)
          return real(id)
        }
      }
    }
  }

  /** The `kong` of this call (or an error when code is disabled on this node). */
  enter(kong: Kong): CallView {
    const mode = this.mode ?? this.setup(kong.configuration)
    if (mode === 'off') throw new Error(OFF_MESSAGE)
    this.current = kong
    return new CallView(
      kong,
      mode === 'sandbox' ? maskedConfiguration(kong.configuration) : kong.configuration,
    )
  }
}

// ---------------------------------------------------------------------------------------------
// One phase's functions.

interface Entry {
  fn: Fn
  /** Not called yet: its first result decides whether it returned the function to cache. */
  fresh: boolean
  /** A Lua snippet (lua/snippet.ts). */
  lua: boolean
}

interface Pending {
  index: number
  promise: PromiseLike<unknown>
  /** The entry was fresh when this promise was returned (it may resolve to the function to cache). */
  fresh: boolean
}

/**
 * The error a failing function causes, named after its config element. Stack frames of the
 * function's own context are not visible from the gateway's (V8 hides frames of other contexts),
 * and the gateway's frames say nothing useful: the message is the whole story.
 */
function failure(label: string, err: unknown): Error {
  let text: string
  if (err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { name?: unknown; message: string }
    text = `${typeof e.name === 'string' ? e.name : 'Error'}: ${e.message}`
  } else text = `${typeof err === 'string' ? err : String(err)}`
  const out = new Error(`${label}: ${text}`, { cause: err })
  out.stack = `Error: ${out.message}`
  return out
}

export class PhaseCode {
  private readonly entries: Entry[]
  private readonly stopOnExit: boolean
  /**
   * Every entry is Lua: the runtime's count hook bounds the code, so the phase does not pay for
   * vm's watchdog (a thread start per run). What the hook cannot stop is a single library call
   * that never returns to the VM (docs/plugins/pre-function.md).
   */
  private readonly allLua: boolean
  /** The entry running now (for error labels). */
  private index = 0

  constructor(
    private readonly sandbox: Sandbox,
    readonly phase: PhaseName,
    codes: readonly string[],
    private readonly timeoutMs = SYNC_TIMEOUT_MS,
  ) {
    const allowAsync = ASYNC_PHASES.has(phase)
    this.stopOnExit = EXIT_PHASES.has(phase)
    this.entries = codes.map((code, i) => {
      if (detectLanguage(code, allowAsync) === 'javascript')
        return {
          fn: compileBody(code, allowAsync, sandbox.context, this.label(i)).fn,
          fresh: true,
          lua: false,
        }
      // A Lua snippet handles Kong's `return function … end` itself: its result is never a function.
      const snippet = new LuaSnippet(code, sandbox.lua, () => sandbox.luaMode(), {
        phase,
        stopOnExit: this.stopOnExit,
        async: allowAsync,
        timeoutMs,
        chunkname: this.label(i),
      })
      return { fn: (kong: unknown) => snippet.run(kong as Kong), fresh: false, lua: true }
    })
    this.allLua = this.entries.every((e) => e.lua === true)
    // The worker's Lua state is made here (configuration time), not by the first request.
    if (this.entries.some((e) => e.lua)) luaRuntime()
  }

  /** Runs the functions in order; a promise when one of them returned a promise. */
  run(kong: Kong): undefined | Promise<void> {
    const f = this.sandbox.enter(kong)
    const pending = this.step(f, 0)
    if (pending === null) return undefined
    if (!ASYNC_PHASES.has(this.phase)) {
      // A rejection nobody waits for must not surface as an unhandled one.
      pending.promise.then(undefined, () => undefined)
      throw new Error(`${this.label(pending.index)}: ${this.phase} functions must be synchronous`)
    }
    return this.settle(f, pending)
  }

  /** Runs entries from `from` under the timeout, up to the first promise (or an exit). */
  private step(f: CallView, from: number): Pending | null {
    this.index = from
    try {
      return this.allLua ? this.loop(f, from) : timed(() => this.loop(f, from), this.timeoutMs)
    } catch (err) {
      throw failure(this.label(this.index), err)
    }
  }

  private label(i: number): string {
    return `config.${this.phase}[${i}]`
  }

  private loop(f: CallView, from: number): Pending | null {
    const entries = this.entries
    const kong = f.kong
    for (let i = from; i < entries.length; i++) {
      if (this.stopOnExit && f.exited) return null
      this.index = i
      const e = entries[i]
      let r = e.fn(kong)
      if (e.fresh) {
        if (typeof r === 'function') {
          // The code returned the function to run from now on (it may keep state in its closure).
          e.fn = r as Fn
          e.fresh = false
          r = e.fn(kong)
        } else if (!isThenable(r)) e.fresh = false
      }
      if (isThenable(r)) return { index: i, promise: r, fresh: e.fresh }
    }
    return null
  }

  private async settle(f: CallView, first: Pending): Promise<void> {
    let p: Pending | null = first
    while (p !== null) {
      let value: unknown
      try {
        value = await p.promise
      } catch (err) {
        throw failure(this.label(p.index), err)
      }
      const e = this.entries[p.index]
      let next = p.index + 1
      if (p.fresh) {
        if (typeof value === 'function') {
          // An async body that resolved to the function to cache: run that one for this request.
          if (e.fresh) {
            e.fn = value as Fn
            e.fresh = false
          }
          next = p.index
        } else e.fresh = false
      }
      p = this.step(f, next)
    }
  }
}

/** The compiled functions of one plugin instance, per phase (null: no code for that phase). */
export type CompiledPhases = Record<PhaseName, PhaseCode | null>

export function compilePhases(
  name: string,
  config: Partial<Record<PhaseName, readonly string[] | null>>,
  timeoutMs = SYNC_TIMEOUT_MS,
): CompiledPhases {
  let sandbox: Sandbox | null = null
  const out = {} as CompiledPhases
  for (const phase of PHASES) {
    const codes = config[phase]
    if (!codes || codes.length === 0) {
      out[phase] = null
      continue
    }
    sandbox ??= new Sandbox(name)
    out[phase] = new PhaseCode(sandbox, phase, codes, timeoutMs)
  }
  return out
}
