// response-transformer (plugins.md §6.15): header_filter changes the response headers (remove →
// rename → replace → add → append, presence judged on the headers as they came in) and drops
// Content-Length when a JSON body is going to change; body_filter buffers a JSON body (the PDK
// holds chunks back until the last one), applies the JSON operations and sends the result.
import type { HeaderTable, Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { splitPair } from '../request-transformer/schema.js'
import { isJsonContentType, type JsonOps, jsonValue, transformJson } from './json.js'
import schema from './schema.js'

type Pair = [string, string | null]

export interface Conf {
  removeHeaders: string[]
  renameHeaders: Pair[]
  replaceHeaders: Pair[]
  addHeaders: Pair[]
  appendHeaders: Pair[]
  json: JsonOps
  /** Any JSON operation configured. */
  bodyTransform: boolean
  /** rename/replace/add need the headers as they came in. */
  snapshot: boolean
}

function pairs(list: readonly string[]): Pair[] {
  const out: Pair[] = []
  for (const item of list) {
    const p = splitPair(item)
    if (p !== null) out.push([p.name, p.value === '' ? null : p.value])
  }
  return out
}

function names(list: readonly string[]): string[] {
  return pairs(list).map(([name]) => name)
}

function values(list: readonly string[], types: readonly string[]): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = []
  list.forEach((item, i) => {
    const p = splitPair(item)
    if (p !== null) out.push({ name: p.name, value: jsonValue(p.value === '' ? null : p.value, types[i]) })
  })
  return out
}

type Lists = { json: string[]; headers: string[] }
type TypedLists = Lists & { json_types: string[] }

export function prepareConf(config: {
  remove: Lists
  rename: Lists
  replace: TypedLists
  add: TypedLists
  append: TypedLists
}): Conf {
  const json: JsonOps = {
    remove: names(config.remove.json),
    rename: pairs(config.rename.json),
    replace: values(config.replace.json, config.replace.json_types),
    add: values(config.add.json, config.add.json_types),
    append: values(config.append.json, config.append.json_types),
  }
  const conf: Conf = {
    removeHeaders: names(config.remove.headers),
    renameHeaders: pairs(config.rename.headers),
    replaceHeaders: pairs(config.replace.headers),
    addHeaders: pairs(config.add.headers),
    appendHeaders: pairs(config.append.headers),
    json,
    bodyTransform:
      config.remove.json.length > 0 ||
      config.rename.json.length > 0 ||
      config.replace.json.length > 0 ||
      config.add.json.length > 0 ||
      config.append.json.length > 0,
    snapshot: false,
  }
  conf.snapshot =
    conf.renameHeaders.length > 0 || conf.replaceHeaders.length > 0 || conf.addHeaders.length > 0
  return conf
}

/** `headers[name]` on the table Kong's get_headers() returns (case-insensitive, `_` as `-`). */
function lookup(headers: HeaderTable, name: string): string | string[] | undefined {
  const n = name.toLowerCase().replace(/_/g, '-')
  return Object.hasOwn(headers, n) ? headers[n] : undefined
}

export function transformHeaders(conf: Conf, kong: Kong): void {
  const res = kong.response
  const headers = conf.snapshot ? res.getHeaders(1000) : null
  const contentType = conf.bodyTransform ? res.getHeader('content-type') : null
  for (const name of conf.removeHeaders) res.clearHeader(name)
  if (headers !== null) {
    for (const [oldName, newName] of conf.renameHeaders) {
      const v = lookup(headers, oldName)
      if (v === undefined || newName === null) continue
      res.setHeader(newName, v)
      res.clearHeader(oldName)
    }
    for (const [name, value] of conf.replaceHeaders)
      if (value !== null && lookup(headers, name) !== undefined) res.setHeader(name, value)
    for (const [name, value] of conf.addHeaders)
      if (value !== null && lookup(headers, name) === undefined) res.setHeader(name, value)
  }
  for (const [name, value] of conf.appendHeaders) if (value !== null) res.addHeader(name, value)
  // The body is going to change: its length is not known before it is sent.
  if (conf.bodyTransform && isJsonContentType(contentType)) res.clearHeader('Content-Length')
}

export function transformBody(conf: Conf, kong: Kong): void {
  if (!conf.bodyTransform || !isJsonContentType(kong.response.getHeader('content-type'))) return
  const body = kong.response.getRawBody()
  if (body === null) return
  const out = transformJson(conf.json, body.toString('utf8'))
  if (out === undefined) {
    // The body goes out unchanged.
    kong.log.warn('body transform failed: failed parsing json body')
    return
  }
  kong.response.setRawBody(out)
}

export default definePlugin(schema, {
  priority: 800,
  version: KONG_COMPAT_VERSION,
  prepare: prepareConf,
  headerFilter: transformHeaders,
  bodyFilter: transformBody,
})
