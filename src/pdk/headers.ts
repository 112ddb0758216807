// Operations on flat header lists `[name, value, name, value, ...]`, the form headers travel in
// on the proxy path (raw from llhttp, raw to the upstream engine and to writeHead). Names keep
// the case they were given; lookups are case-insensitive. PDK lookups also accept `_` for `-`.
import type { HeaderTable } from './types.js'

/** Lower-case, `_` → `-` (Kong's get_header accepts `x_custom` for `X-Custom`). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-')
}

function same(a: string, lowerB: string): boolean {
  return a.length === lowerB.length && a.toLowerCase() === lowerB
}

/** First value of a header, or null. */
export function firstValue(list: readonly string[], name: string): string | null {
  const n = normalizeName(name)
  for (let i = 0; i < list.length; i += 2) if (same(list[i], n)) return list[i + 1]
  return null
}

/** All values of a header, in order. */
export function allValues(list: readonly string[], name: string): string[] {
  const n = normalizeName(name)
  const out: string[] = []
  for (let i = 0; i < list.length; i += 2) if (same(list[i], n)) out.push(list[i + 1])
  return out
}

/** Lower-case name → value (array when repeated), at most `max` names (Kong's default 100). */
export function headerTable(list: readonly string[], max = 100): HeaderTable {
  const out: HeaderTable = {}
  let count = 0
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i].toLowerCase()
    const v = list[i + 1]
    const prev = out[n]
    if (prev === undefined) {
      if (count >= max) continue
      count++
      out[n] = v
    } else if (Array.isArray(prev)) prev.push(v)
    else out[n] = [prev, v]
  }
  return out
}

/** Removes every value of a header (in place). */
export function clearHeader(list: string[], name: string): void {
  const n = name.toLowerCase()
  let w = 0
  // (the usual case, nothing to remove, writes nothing)
  while (w < list.length && !same(list[w], n)) w += 2
  if (w >= list.length) return
  for (let r = w + 2; r < list.length; r += 2) {
    if (same(list[r], n)) continue
    list[w] = list[r]
    list[w + 1] = list[r + 1]
    w += 2
  }
  list.length = w
}

/** Replaces a header: one value, or one entry per array element. */
export function setHeader(list: string[], name: string, value: string | number | readonly string[]): void {
  clearHeader(list, name)
  if (Array.isArray(value)) for (const v of value) list.push(name, String(v))
  else list.push(name, String(value))
}

export function addHeader(list: string[], name: string, value: string | number): void {
  list.push(name, String(value))
}

/** Valid header name (RFC 9110 token) and value (no CR, LF or NUL). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[\r\n\0]/

/** Names already found valid: plugins set the same few names on every request. */
const validNames = new Set<string>()

function checkValue(name: string, v: unknown): void {
  if (typeof v === 'number' || typeof v === 'boolean') return
  if (typeof v !== 'string')
    throw new TypeError(
      `invalid header value for "${name}": got ${typeof v}, expected string, number or boolean`,
    )
  if (BAD_VALUE.test(v)) throw new TypeError(`invalid header value for "${name}"`)
}

export function checkHeader(name: unknown, value: unknown): void {
  if (typeof name !== 'string') throw new TypeError(`invalid header name: ${String(name)}`)
  if (!validNames.has(name)) {
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name: ${name}`)
    if (validNames.size < 10_000) validNames.add(name)
  }
  if (Array.isArray(value)) for (const v of value) checkValue(name, v)
  else checkValue(name, value)
}
