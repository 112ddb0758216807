// request-transformer (plugins.md §6.14): rewrites the upstream request in the order Kong's
// access.lua applies it: path (`replace.uri`), method, headers, body, query string; within each,
// remove → rename → replace → add → append. Values may be `$(…)` templates (template.ts) over
// the request as prepared so far (earlier plugins' changes included, as Kong's `kong.request`
// sees it in access). Everything a request does not depend on is parsed once, in prepare().
import { randomBytes } from 'node:crypto'
import { encodeArgs, parseArgs } from '../../pdk/body.js'
import type { HeaderTable, HeaderValue, Kong, QueryTable, QueryValue } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { boundaryOf, MultipartBody, parseMultipart, serializeMultipart } from './multipart.js'
import schema, { splitPair } from './schema.js'
import {
  CapturesTable,
  compileTemplate,
  fromJs,
  type LuaValue,
  RecordTable,
  renderTemplate,
  scopeOf,
  type Template,
  TemplateRuntimeError,
  type TemplateScope,
  TemplateSyntaxError,
} from './template.js'

interface Entry {
  name: string
  /** What follows the colon(s); null when nothing does. */
  value: Template | null
}

interface Lists {
  body: Entry[]
  headers: Entry[]
  querystring: Entry[]
}

export interface Conf {
  method: string | null
  remove: Lists
  rename: Lists
  replace: Lists
  add: Lists
  append: Lists
  uri: Template | null
  hasHeaders: boolean
  hasQuery: boolean
  hasBody: boolean
}

/** Kong's get_headers()/get_uri_args()/decode_args() limit. */
const MAX_ARGS = 100

/**
 * Headers the gateway handles itself (not in the upstream header list): templates see the
 * client's values, as Kong's `headers` table has them.
 */
const GATEWAY_MANAGED = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'te',
  'upgrade',
  'keep-alive',
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-real-ip',
  'via',
]

function entries(list: readonly string[]): Entry[] {
  const out: Entry[] = []
  for (const item of list) {
    const p = splitPair(item)
    if (p === null) continue
    out.push({ name: p.name, value: p.value === '' ? null : compileTemplate(p.value) })
  }
  return out
}

type ListsConfig = { body: string[]; headers: string[]; querystring: string[] }

function lists(c: ListsConfig | null | undefined): Lists {
  return {
    body: entries(c?.body ?? []),
    headers: entries(c?.headers ?? []),
    querystring: entries(c?.querystring ?? []),
  }
}

// ---------------------------------------------------------------------------------------------
// Template rendering

const OFF_MESSAGE =
  "loading of untrusted Lua code disabled because 'untrusted_lua' config option is set to 'off'"

/**
 * What templates see, loaded on first use like Kong's lazy sandbox environment (a table first
 * read after the headers were changed sees the change, as in Kong).
 */
class RequestEnv implements TemplateScope {
  private headers: LuaValue
  private query: QueryTable | null = null
  private queryTable: LuaValue
  private captures: LuaValue
  private shared: LuaValue
  private readonly scope: TemplateScope

  constructor(
    private readonly kong: Kong,
    private readonly lua: boolean,
  ) {
    this.scope = scopeOf((name) => this.table(name))
  }

  lookup(name: string): LuaValue {
    return this.scope.lookup(name)
  }

  /** The upstream query as Kong's `get_uri_args()` returned it when first needed. */
  queryParams(): QueryTable {
    this.query ??= parseArgs(this.kong.service.request.getRawQuery(), MAX_ARGS)
    return this.query
  }

  private table(name: string): LuaValue {
    switch (name) {
      case 'headers':
        this.headers ??= new RecordTable(templateHeaders(this.kong), true)
        return this.headers
      case 'query_params':
        this.queryTable ??= new RecordTable(this.queryParams())
        return this.queryTable
      case 'uri_captures': {
        if (this.captures === undefined) {
          const c = this.kong.request.getUriCaptures()
          this.captures = new CapturesTable(c.unnamed, c.named)
        }
        return this.captures
      }
      case 'shared':
        this.shared ??= fromJs(this.kong.ctx.shared)
        return this.shared
      default:
        return undefined
    }
  }

  /** A value's text; undefined for an entry without value. Errors fail the request (500). */
  render(t: Template | null): string | undefined {
    if (t === null) return undefined
    if (!this.lua) {
      if (t.hasExpr) throw renderError(t, OFF_MESSAGE)
      return t.source
    }
    if (t.parts === null && t.error === null) return t.source
    try {
      return renderTemplate(t, this)
    } catch (err) {
      if (err instanceof TemplateSyntaxError || err instanceof TemplateRuntimeError)
        throw renderError(t, err.message)
      throw err
    }
  }
}

function renderError(t: Template, message: string): Error {
  return new Error(`[request-transformer] failed to render the template ${t.source}, error:${message}`)
}

/** The request headers as Kong's `get_headers()` has them in access. */
function templateHeaders(kong: Kong): HeaderTable {
  const out: HeaderTable = Object.assign(Object.create(null), kong.service.request.getHeaders(MAX_ARGS))
  let client: HeaderTable | null = null
  for (const name of GATEWAY_MANAGED) {
    if (Object.hasOwn(out, name)) continue
    client ??= kong.request.getHeaders(MAX_ARGS)
    if (Object.hasOwn(client, name)) out[name] = client[name]
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Helpers on Kong-style tables (own properties only: `__proto__` is just a name here)

function own<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

function put<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
}

/** Lua's `if value then` (only nil and false are false; JSON null is a truthy value in Kong). */
function truthy(v: unknown): boolean {
  return v !== undefined && v !== false
}

/** Kong's rename(): moves a present (truthy) value; false when nothing moved. */
function renameKey<T>(obj: Record<string, T>, oldName: string, newName: string): boolean {
  if (oldName === newName) return false
  const v = own(obj, oldName)
  if (!truthy(v)) return false
  delete obj[oldName]
  put(obj, newName, v as T)
  return true
}

/** Kong's append_value() for query and form values. */
function appendArg(current: QueryValue | undefined, value: string): QueryValue {
  if (typeof current === 'string') return [current, value]
  if (Array.isArray(current)) return [...current, value]
  return [value]
}

function nullProto<T>(src: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = Object.create(null)
  for (const k of Object.keys(src)) {
    const v = src[k]
    put(out, k, (Array.isArray(v) ? [...v] : v) as T)
  }
  return out
}

type ContentKind = 'json' | 'multipart' | 'form'

/** Kong's get_content_type(): a substring test, JSON first. */
function contentKind(contentType: string | null | undefined): ContentKind | null {
  if (!contentType) return null
  const l = contentType.toLowerCase()
  if (l.includes('application/json')) return 'json'
  if (l.includes('multipart/form-data')) return 'multipart'
  if (l.includes('application/x-www-form-urlencoded')) return 'form'
  return null
}

function first(v: HeaderValue | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

// ---------------------------------------------------------------------------------------------
// The steps

function transformUri(conf: Conf, kong: Kong, env: RequestEnv): void {
  const path = env.render(conf.uri)
  if (path !== undefined && path !== '') kong.service.request.setPath(path)
}

const BODYLESS = new Set(['GET', 'HEAD', 'TRACE'])

/** The method; to GET/HEAD/TRACE, form fields also go into the query string. */
async function transformMethod(conf: Conf, kong: Kong): Promise<void> {
  const method = conf.method
  if (method === null) return
  const svc = kong.service.request
  svc.setMethod(method)
  if (!BODYLESS.has(method)) return
  if (contentKind(first(svc.getHeaders(MAX_ARGS)['content-type'])) !== 'form') return
  const fields = parseArgs((await svc.getRawBody()).toString('utf8'), MAX_ARGS)
  const names = Object.keys(fields)
  if (names.length === 0) return
  const query = nullProto(parseArgs(svc.getRawQuery(), MAX_ARGS))
  for (const name of names) {
    const value = fields[name]
    const current = own(query, name)
    const added = Array.isArray(value) ? value : [value]
    if (current === undefined) put(query, name, value)
    else put(query, name, [...(Array.isArray(current) ? current : [current]), ...added])
  }
  svc.setQuery(query)
}

interface HeaderEntry {
  /** The name as it will be sent (Kong keeps the configured case of added headers). */
  name: string
  value: HeaderValue
}

/** Headers; returns the resulting Content-Type (the body step depends on it). */
function transformHeaders(conf: Conf, kong: Kong, env: RequestEnv): string | undefined {
  const svc = kong.service.request
  if (!conf.hasHeaders) return conf.hasBody ? first(svc.getHeaders(MAX_ARGS)['content-type']) : undefined
  const current = svc.getHeaders(1000)
  // lower-case name → entry; Host is never listed (it can only be replaced).
  const table = new Map<string, HeaderEntry>()
  for (const name of Object.keys(current)) table.set(name, { name, value: current[name] })
  const clear = new Set<string>()
  const changed = new Set<string>()

  for (const e of conf.remove.headers) {
    env.render(e.value)
    const n = e.name.toLowerCase()
    if (table.delete(n)) clear.add(n)
  }
  for (const e of conf.rename.headers) {
    const newName = env.render(e.value)
    if (newName === undefined) continue
    const lo = e.name.toLowerCase()
    const ln = newName.toLowerCase()
    const entry = table.get(lo)
    if (entry === undefined) continue
    if (lo === ln) {
      // Only the case changes: the header is sent under the new spelling.
      if (e.name === newName) continue
      entry.name = newName
    } else {
      table.delete(lo)
      table.set(ln, { name: ln, value: entry.value })
    }
    clear.add(lo)
    changed.add(ln)
  }
  for (const e of conf.replace.headers) {
    const value = env.render(e.value)
    const n = e.name.toLowerCase()
    if (!table.has(n) && n !== 'host') continue
    if (value === undefined) {
      // Kong's table loses the entry: the header is left as it was.
      table.delete(n)
      changed.delete(n)
      continue
    }
    table.set(n, { name: n, value })
    changed.add(n)
  }
  for (const e of conf.add.headers) {
    const value = env.render(e.value)
    const n = e.name.toLowerCase()
    if (table.has(n) || n === 'host' || value === undefined) continue
    table.set(n, { name: e.name, value })
    changed.add(n)
  }
  for (const e of conf.append.headers) {
    const value = env.render(e.value)
    const n = e.name.toLowerCase()
    if (n === 'host' || value === undefined) continue
    const entry = table.get(n)
    if (entry === undefined) table.set(n, { name: e.name, value: [value] })
    else {
      // An existing header takes the configured spelling when it has capitals.
      if (e.name !== n) entry.name = e.name
      entry.value = Array.isArray(entry.value) ? [...entry.value, value] : [entry.value, value]
    }
    changed.add(n)
  }

  for (const n of clear) if (!(changed.has(n) && table.has(n))) svc.clearHeader(n)
  for (const n of changed) {
    const entry = table.get(n)
    if (entry !== undefined) svc.setHeader(entry.name, entry.value)
  }
  return first(table.get('content-type')?.value)
}

/** JSON body (top-level keys of an object); null when unchanged. */
function transformJsonBody(conf: Conf, body: string, env: RequestEnv): string | null {
  const nonEmpty = body.length > 0
  let params: unknown
  try {
    params = nonEmpty ? JSON.parse(body) : {}
  } catch {
    return null
  }
  // Kong's table operations only make sense on an object; anything else is left as is.
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return null
  const obj = params as Record<string, unknown>
  let touched = false
  if (nonEmpty) {
    for (const e of conf.remove.body) {
      env.render(e.value)
      delete obj[e.name]
      touched = true
    }
    for (const e of conf.rename.body) {
      const newName = env.render(e.value)
      if (newName !== undefined && renameKey(obj, e.name, newName)) touched = true
    }
    for (const e of conf.replace.body) {
      const value = env.render(e.value)
      if (truthy(own(obj, e.name)) && value !== undefined) {
        put(obj, e.name, value)
        touched = true
      }
    }
  }
  for (const e of conf.add.body) {
    const value = env.render(e.value)
    if (!truthy(own(obj, e.name)) && value !== undefined) {
      put(obj, e.name, value)
      touched = true
    }
  }
  for (const e of conf.append.body) {
    const value = env.render(e.value)
    if (value === undefined) continue
    const current = own(obj, e.name)
    if (typeof current === 'string') put(obj, e.name, [current, value])
    else if (Array.isArray(current)) current.push(value)
    else if (current !== null && typeof current === 'object') {
      // table.insert on an object: the next free integer key.
      const o = current as Record<string, unknown>
      let i = 1
      while (Object.hasOwn(o, String(i))) i++
      put(o, String(i), value)
    } else put(obj, e.name, [value])
    touched = true
  }
  return touched ? JSON.stringify(obj) : null
}

/** application/x-www-form-urlencoded body; null when unchanged. */
function transformFormBody(conf: Conf, body: string, env: RequestEnv): string | null {
  const nonEmpty = body.length > 0
  const params = nullProto(parseArgs(body, MAX_ARGS))
  let touched = false
  if (nonEmpty) {
    for (const e of conf.remove.body) {
      env.render(e.value)
      delete params[e.name]
      touched = true
    }
    for (const e of conf.rename.body) {
      const newName = env.render(e.value)
      if (newName !== undefined && renameKey(params, e.name, newName)) touched = true
    }
    for (const e of conf.replace.body) {
      const value = env.render(e.value)
      if (own(params, e.name) !== undefined && value !== undefined) {
        put(params, e.name, value)
        touched = true
      }
    }
  }
  for (const e of conf.add.body) {
    const value = env.render(e.value)
    if (own(params, e.name) === undefined && value !== undefined) {
      put(params, e.name, value)
      touched = true
    }
  }
  for (const e of conf.append.body) {
    const value = env.render(e.value)
    if (value === undefined) continue
    put(params, e.name, appendArg(own(params, e.name), value))
    touched = true
  }
  return touched ? encodeArgs(params) : null
}

/** multipart/form-data body (no append, as in Kong); null when unchanged. */
function transformMultipartBody(
  conf: Conf,
  body: Buffer,
  contentType: string,
  env: RequestEnv,
): { body: Buffer; contentType: string | null } | null {
  const nonEmpty = body.length > 0
  const boundary = boundaryOf(contentType)
  const mp = new MultipartBody(boundary === null ? [] : parseMultipart(body, boundary))
  let touched = false
  if (nonEmpty) {
    // Kong's order for multipart: rename first.
    for (const e of conf.rename.body) {
      const newName = env.render(e.value)
      const part = mp.get(e.name)
      if (newName === undefined || part === undefined || newName === e.name) continue
      mp.setSimple(newName, part.value)
      mp.delete(e.name)
      touched = true
    }
    for (const e of conf.remove.body) {
      env.render(e.value)
      mp.delete(e.name)
      touched = true
    }
    for (const e of conf.replace.body) {
      const value = env.render(e.value)
      if (mp.get(e.name) === undefined || value === undefined) continue
      mp.delete(e.name)
      mp.setSimple(e.name, value)
      touched = true
    }
  }
  for (const e of conf.add.body) {
    const value = env.render(e.value)
    if (mp.get(e.name) !== undefined || value === undefined) continue
    mp.setSimple(e.name, value)
    touched = true
  }
  if (!touched) return null
  if (boundary !== null) return { body: serializeMultipart(mp.parts, boundary), contentType: null }
  // No usable boundary: make one, and say so in the Content-Type.
  const made = `silverback${randomBytes(12).toString('hex')}`
  return {
    body: serializeMultipart(mp.parts, made),
    contentType: `${contentType.replace(/;\s*boundary=[^;]*/i, '')}; boundary=${made}`,
  }
}

async function transformBody(
  conf: Conf,
  kong: Kong,
  env: RequestEnv,
  contentType: string | undefined,
): Promise<void> {
  if (!conf.hasBody) return
  const kind = contentKind(contentType)
  if (kind === null || contentType === undefined) return
  const svc = kong.service.request
  const raw = await svc.getRawBody()
  if (kind === 'json') {
    const out = transformJsonBody(conf, raw.toString('utf8'), env)
    if (out !== null) svc.setRawBody(out)
  } else if (kind === 'form') {
    const out = transformFormBody(conf, raw.toString('utf8'), env)
    if (out !== null) svc.setRawBody(out)
  } else {
    const out = transformMultipartBody(conf, raw, contentType, env)
    if (out === null) return
    svc.setRawBody(out.body)
    if (out.contentType !== null) svc.setHeader('Content-Type', out.contentType)
  }
}

function transformQuery(conf: Conf, kong: Kong, env: RequestEnv): void {
  if (!conf.hasQuery) return
  const query = nullProto(env.queryParams())
  for (const e of conf.remove.querystring) {
    env.render(e.value)
    delete query[e.name]
  }
  for (const e of conf.rename.querystring) {
    const newName = env.render(e.value)
    if (newName !== undefined) renameKey(query, e.name, newName)
  }
  for (const e of conf.replace.querystring) {
    const value = env.render(e.value)
    if (own(query, e.name) !== undefined && value !== undefined) put(query, e.name, value)
  }
  for (const e of conf.add.querystring) {
    const value = env.render(e.value)
    if (own(query, e.name) === undefined && value !== undefined) put(query, e.name, value)
  }
  for (const e of conf.append.querystring) {
    const value = env.render(e.value)
    if (value !== undefined) put(query, e.name, appendArg(own(query, e.name), value))
  }
  kong.service.request.setQuery(query)
}

/** The whole transformation of one request (exported for unit tests). */
export async function transformRequest(conf: Conf, kong: Kong): Promise<void> {
  const env = new RequestEnv(kong, kong.configuration.untrusted_lua !== 'off')
  transformUri(conf, kong, env)
  await transformMethod(conf, kong)
  const contentType = transformHeaders(conf, kong, env)
  await transformBody(conf, kong, env, contentType)
  transformQuery(conf, kong, env)
}

/** Parses a validated configuration (exported for unit tests). */
export function prepareConf(config: {
  http_method?: string | null
  remove?: ListsConfig | null
  rename?: ListsConfig | null
  replace?: (ListsConfig & { uri?: string | null }) | null
  add?: ListsConfig | null
  append?: ListsConfig | null
}): Conf {
  const conf: Conf = {
    method: config.http_method ? config.http_method.toUpperCase() : null,
    remove: lists(config.remove),
    rename: lists(config.rename),
    replace: lists(config.replace),
    add: lists(config.add),
    append: lists(config.append),
    uri: config.replace?.uri ? compileTemplate(config.replace.uri) : null,
    hasHeaders: false,
    hasQuery: false,
    hasBody: false,
  }
  const all = [conf.remove, conf.rename, conf.replace, conf.add, conf.append]
  conf.hasHeaders = all.some((l) => l.headers.length > 0)
  conf.hasQuery = all.some((l) => l.querystring.length > 0)
  conf.hasBody = all.some((l) => l.body.length > 0)
  return conf
}

export default definePlugin(schema, {
  priority: 801,
  version: KONG_COMPAT_VERSION,
  prepare: prepareConf,
  access(conf, kong) {
    // Nothing to wait for unless the body is needed: stay synchronous then.
    if (!conf.hasBody && conf.method === null) {
      const env = new RequestEnv(kong, kong.configuration.untrusted_lua !== 'off')
      transformUri(conf, kong, env)
      transformHeaders(conf, kong, env)
      transformQuery(conf, kong, env)
      return
    }
    return transformRequest(conf, kong)
  },
})
