// The `kong` PDK as Lua code sees it: Kong's snake_case names, each a JavaScript function that
// calls the camelCase PDK of the request running now (`kong.request.get_header` →
// `kong.request.getHeader`) and converts arguments and results (values.ts). The tables are made
// once per Lua state; which request they act on is the runtime's current run. The parts written
// in Lua (kong.ctx, kong.table, ngx) are in prelude.ts.
import { createHash } from 'node:crypto'
import { type JsFunction, type LuaState, lua } from 'fengari'
import type { Kong, Row } from '../../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../../version.js'
import { pushValue, raise, toBytes, toDisplay, toText, toValue } from './values.js'

/** What the bridge needs from the runtime (runtime.ts). */
export interface BridgeHost {
  /** The run in progress; raises a Lua error when no snippet is running. */
  current(L: LuaState): BridgeRun
  /** Suspends the snippet until `promise` settles; `push` pushes its results. Never returns. */
  wait(
    L: LuaState,
    name: string,
    promise: Promise<unknown>,
    push: (L: LuaState, value: unknown) => number,
  ): never
  /** Ends the snippet now (after kong.response.exit in rewrite/access, or ngx.exit), where possible. */
  stop(L: LuaState): number
}

export interface BridgeRun {
  readonly kong: Kong
  readonly phase: string
  /** kong.response.exit/error end the snippet (rewrite, access). */
  readonly stopOnExit: boolean
  /** ngx.say / ngx.print output not sent yet. */
  say: Buffer[] | null
  /** ngx.status as set by the code in rewrite/access. */
  ngxStatus: number | null
}

type Namespace = (k: Kong) => unknown

const NAMESPACES: Record<string, Namespace> = {
  request: (k) => k.request,
  response: (k) => k.response,
  service: (k) => k.service,
  'service.request': (k) => k.service.request,
  'service.response': (k) => k.service.response,
  client: (k) => k.client,
  router: (k) => k.router,
  node: (k) => k.node,
  ip: (k) => k.ip,
  plugin: (k) => k.plugin,
  nginx: (k) => k.nginx,
  log: (k) => k.log,
}

/** Functions that take and return plain values: the JavaScript name is the camelCase one. */
const PLAIN: Record<string, string[]> = {
  request: [
    'get_scheme',
    'get_host',
    'get_port',
    'get_forwarded_scheme',
    'get_forwarded_host',
    'get_forwarded_port',
    'get_forwarded_path',
    'get_forwarded_prefix',
    'get_http_version',
    'get_method',
    'get_path',
    'get_raw_path',
    'get_path_with_query',
    'get_raw_query',
    'get_query_arg',
    'get_query',
    'get_header',
    'get_headers',
    'get_start_time',
    'get_uri_captures',
    'get_id',
  ],
  response: [
    'get_status',
    'get_header',
    'get_headers',
    'get_source',
    'set_status',
    'set_header',
    'add_header',
    'clear_header',
    'set_headers',
    'get_raw_body',
  ],
  service: ['set_upstream', 'set_target', 'set_retries', 'set_timeouts'],
  'service.request': [
    'enable_buffering',
    'set_scheme',
    'set_path',
    'set_raw_query',
    'set_query',
    'clear_query_arg',
    'set_method',
    'set_header',
    'add_header',
    'clear_header',
    'set_headers',
    'set_body',
  ],
  'service.response': ['get_status', 'get_header', 'get_headers', 'get_raw_body'],
  client: [
    'get_ip',
    'get_forwarded_ip',
    'get_port',
    'get_forwarded_port',
    'authenticate',
    'get_consumer',
    'get_credential',
    'get_protocol',
  ],
  router: ['get_route', 'get_service'],
  node: ['get_id', 'get_hostname', 'get_memory_stats'],
  ip: ['is_trusted'],
  plugin: ['get_id'],
  nginx: ['get_subsystem'],
  log: ['serialize', 'set_serialize_value', 'deprecation', 'inspect'],
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'err', 'crit', 'alert', 'emerg'] as const

export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

/** The arguments of the running JavaScript function as JavaScript values. */
function args(L: LuaState, binaryFirst = false): unknown[] {
  const n = lua.lua_gettop(L)
  const out: unknown[] = new Array(n)
  for (let i = 1; i <= n; i++) {
    const v = toValue(L, i, binaryFirst && i === 1)
    out[i - 1] = v === undefined ? undefined : v
  }
  // Trailing nils are absent arguments (JavaScript defaults apply).
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop()
  return out
}

/** Calls `fn`; a JavaScript exception becomes a Lua error naming the PDK function. */
function guarded(L: LuaState, name: string, fn: () => unknown): unknown {
  let result: unknown
  let failed: string | null = null
  try {
    result = fn()
  } catch (err) {
    failed = message(err)
  }
  if (failed !== null) raise(L, `${name}: ${failed}`)
  return result
}

/** A table of functions `fields` on top of the stack. */
function setFunctions(L: LuaState, fields: Record<string, JsFunction>): void {
  for (const [name, fn] of Object.entries(fields)) {
    lua.lua_pushjsfunction(L, fn)
    lua.lua_setfield(L, -2, name)
  }
}

/** Leaves on the stack the table at `path` (dotted) inside the table at the top, made if missing. */
function subtable(L: LuaState, path: string): void {
  for (const part of path.split('.')) {
    if (lua.lua_getfield(L, -1, part) !== lua.LUA_TTABLE) {
      lua.lua_pop(L, 1)
      lua.lua_newtable(L)
      lua.lua_pushvalue(L, -1)
      lua.lua_setfield(L, -3, part)
    }
    lua.lua_remove(L, -2)
  }
}

/**
 * Pushes the `kong` table (without the Lua-written parts) and leaves it on the stack. Its
 * functions act on `host.current(L).kong`.
 */
export function pushKong(L: LuaState, host: BridgeHost): void {
  lua.lua_newtable(L)
  for (const [ns, names] of Object.entries(PLAIN)) {
    const namespace = NAMESPACES[ns]
    lua.lua_pushvalue(L, -1)
    subtable(L, ns)
    for (const name of names) {
      const jsName = camel(name)
      const full = `kong.${ns}.${name}`
      lua.lua_pushjsfunction(L, (L1) => {
        const run = host.current(L1)
        const a = args(L1)
        const result = guarded(L1, full, () => {
          const target = namespace(run.kong) as Record<string, unknown>
          const fn = target[jsName]
          if (typeof fn !== 'function') throw new Error('not available in Silverback')
          return (fn as (...x: unknown[]) => unknown).apply(target, a)
        })
        pushValue(L1, result)
        return 1
      })
      lua.lua_setfield(L, -2, name)
    }
    lua.lua_pop(L, 1)
  }

  // Bodies: Lua strings are bytes.
  lua.lua_pushvalue(L, -1)
  subtable(L, 'response')
  setFunctions(L, {
    set_raw_body: (L1) => {
      const run = host.current(L1)
      const body = toBytes(L1, 1) ?? Buffer.from(toText(L1, 1) ?? '')
      guarded(L1, 'kong.response.set_raw_body', () => run.kong.response.setRawBody(body))
      return 0
    },
    exit: (L1) => exit(L1, host, 'exit'),
    error: (L1) => exit(L1, host, 'error'),
  })
  lua.lua_pop(L, 1)
  lua.lua_pushvalue(L, -1)
  subtable(L, 'service.request')
  setFunctions(L, {
    set_raw_body: (L1) => {
      const run = host.current(L1)
      const body = toBytes(L1, 1) ?? Buffer.from(toText(L1, 1) ?? '')
      guarded(L1, 'kong.service.request.set_raw_body', () => run.kong.service.request.setRawBody(body))
      return 0
    },
  })
  lua.lua_pop(L, 1)

  // Asynchronous functions: the snippet waits (a coroutine yield) until the promise settles.
  lua.lua_pushvalue(L, -1)
  subtable(L, 'request')
  setFunctions(L, {
    get_raw_body: (L1) => {
      const run = host.current(L1)
      const max = lua.lua_type(L1, 1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L1, 1) : undefined
      const p = guarded(L1, 'kong.request.get_raw_body', () =>
        run.kong.request.getRawBody(max),
      ) as Promise<Buffer>
      return host.wait(L1, 'kong.request.get_raw_body', p, (L2, v) => {
        pushValue(L2, v)
        return 1
      })
    },
    get_body: (L1) => {
      const run = host.current(L1)
      const mime = toText(L1, 1) ?? undefined
      const p = guarded(L1, 'kong.request.get_body', () => run.kong.request.getBody(mime))
      return host.wait(L1, 'kong.request.get_body', p as Promise<unknown>, (L2, v) => {
        const r = v as { body: Row; mime: string }
        pushValue(L2, r.body)
        lua.lua_pushnil(L2)
        pushValue(L2, r.mime)
        return 3
      })
    },
  })
  lua.lua_pop(L, 1)
  lua.lua_pushvalue(L, -1)
  subtable(L, 'client')
  setFunctions(L, {
    load_consumer: (L1) => {
      const run = host.current(L1)
      const id = toText(L1, 1) ?? ''
      const byUsername = lua.lua_toboolean(L1, 2)
      const p = guarded(L1, 'kong.client.load_consumer', () => run.kong.client.loadConsumer(id, byUsername))
      return host.wait(L1, 'kong.client.load_consumer', p as Promise<unknown>, (L2, v) => {
        pushValue(L2, v)
        return 1
      })
    },
  })
  lua.lua_pop(L, 1)

  // kong.log.<level>(...): Lua's tostring of each argument, concatenated (as Kong does).
  lua.lua_pushvalue(L, -1)
  subtable(L, 'log')
  for (const level of LOG_LEVELS) {
    lua.lua_pushjsfunction(L, (L1) => {
      const run = host.current(L1)
      const n = lua.lua_gettop(L1)
      const parts: string[] = []
      for (let i = 1; i <= n; i++) parts.push(toDisplay(L1, i))
      run.kong.log[level](parts.join(''))
      return 0
    })
    lua.lua_setfield(L, -2, level)
  }
  lua.lua_pop(L, 1)

  pushValue(L, KONG_COMPAT_VERSION)
  lua.lua_setfield(L, -2, 'version')
  const [a, b, c] = KONG_COMPAT_VERSION.split('.').map(Number)
  pushValue(L, a * 1_000_000 + b * 1000 + c)
  lua.lua_setfield(L, -2, 'version_num')
}

function exit(L: LuaState, host: BridgeHost, kind: 'exit' | 'error'): number {
  const run = host.current(L)
  const status = lua.lua_tonumber(L, 1)
  let body: unknown
  if (kind === 'exit') {
    const t = lua.lua_type(L, 2)
    body = t === lua.LUA_TSTRING ? toBytes(L, 2) : toValue(L, 2)
  } else body = toText(L, 2) ?? undefined
  const headers = lua.lua_type(L, 3) === lua.LUA_TTABLE ? toValue(L, 3) : undefined
  guarded(L, `kong.response.${kind}`, () => {
    const r = run.kong.response
    if (kind === 'exit') r.exit(status, body as Row, headers as Row as never)
    else r.error(status, body as string | undefined, headers as never)
  })
  // Kong ends the handler here (a coroutine yield) where the response is delayed: rewrite, access.
  return run.stopOnExit ? host.stop(L) : 0
}

/**
 * The JavaScript helpers of ngx (prelude.ts builds `ngx` around them), in a table left on the
 * stack.
 */
export function pushNgxHelpers(L: LuaState, host: BridgeHost): void {
  lua.lua_newtable(L)
  setFunctions(L, {
    var: (L1) => {
      const run = host.current(L1)
      const name = toText(L1, 1) ?? ''
      pushValue(L1, run.kong.nginx.getVar(name))
      return 1
    },
    say: (L1) => output(L1, host, true),
    print: (L1) => output(L1, host, false),
    get_status: (L1) => {
      const run = host.current(L1)
      if (run.ngxStatus !== null) pushValue(L1, run.ngxStatus)
      else if (run.phase === 'rewrite' || run.phase === 'access') pushValue(L1, 0)
      else pushValue(L1, run.kong.response.getStatus())
      return 1
    },
    set_status: (L1) => {
      const run = host.current(L1)
      const status = lua.lua_tonumber(L1, 1)
      if (run.phase === 'rewrite' || run.phase === 'access') run.ngxStatus = status
      else guarded(L1, 'ngx.status', () => run.kong.response.setStatus(status))
      return 0
    },
    exit: (L1) => {
      const run = host.current(L1)
      const status = lua.lua_tointeger(L1, 1)
      if (run.phase === 'rewrite' || run.phase === 'access') {
        guarded(L1, 'ngx.exit', () => {
          // Output already went with ngx.status (or 200): the status of ngx.exit comes too late.
          if (run.say !== null) flushSay(run, null)
          else if (status >= 400) run.kong.response.error(status)
          else if (status >= 200) run.kong.response.exit(status)
        })
      }
      return host.stop(L1)
    },
    now: (L1) => {
      lua.lua_pushnumber(L1, Date.now() / 1000)
      return 1
    },
    encode_base64: (L1) => {
      const s = toBytes(L1, 1) ?? Buffer.from(toText(L1, 1) ?? '')
      const text = s.toString('base64')
      pushValue(L1, lua.lua_toboolean(L1, 2) ? text.replace(/=+$/, '') : text)
      return 1
    },
    decode_base64: (L1) => {
      const s = toText(L1, 1) ?? ''
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
        lua.lua_pushnil(L1)
        return 1
      }
      pushValue(L1, Buffer.from(s, 'base64'))
      return 1
    },
    md5: (L1) => digest(L1, 'md5', 'hex'),
    md5_bin: (L1) => digest(L1, 'md5', null),
    sha1_bin: (L1) => digest(L1, 'sha1', null),
    escape_uri: (L1) => {
      pushValue(L1, encodeURIComponent(toText(L1, 1) ?? ''))
      return 1
    },
    unescape_uri: (L1) => {
      const s = toText(L1, 1) ?? ''
      let out = s
      try {
        out = decodeURIComponent(s.replace(/\+/g, ' '))
      } catch {}
      pushValue(L1, out)
      return 1
    },
  })
}

function digest(L: LuaState, algorithm: string, encoding: 'hex' | null): number {
  const data = toBytes(L, 1) ?? Buffer.from(toText(L, 1) ?? '')
  const hash = createHash(algorithm).update(data)
  pushValue(L, encoding === null ? hash.digest() : hash.digest(encoding))
  return 1
}

/** Appends the arguments (strings, numbers, nested arrays of them) to ngx's output. */
function output(L: LuaState, host: BridgeHost, newline: boolean): number {
  const run = host.current(L)
  if (run.phase !== 'rewrite' && run.phase !== 'access')
    raise(L, `API disabled in the context of ${run.phase}`)
  const parts: Buffer[] = []
  const add = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) add(x)
    else if (Buffer.isBuffer(v)) parts.push(v)
    else if (v === null) parts.push(Buffer.from('null'))
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      parts.push(Buffer.from(String(v)))
  }
  const n = lua.lua_gettop(L)
  for (let i = 1; i <= n; i++) add(lua.lua_type(L, i) === lua.LUA_TSTRING ? toBytes(L, i) : toValue(L, i))
  if (newline) parts.push(Buffer.from('\n'))
  run.say ??= []
  run.say.push(...parts)
  lua.lua_pushinteger(L, 1)
  return 1
}

/** Sends what ngx.say/ngx.print wrote as the response (status: the given one, ngx.status, or 200). */
export function flushSay(run: BridgeRun, status: number | null): void {
  const body = Buffer.concat(run.say ?? [])
  run.say = null
  const code = status ?? (run.ngxStatus !== null && run.ngxStatus >= 200 ? run.ngxStatus : 200)
  run.kong.response.exit(code, body, { 'Content-Type': 'text/plain' })
}
