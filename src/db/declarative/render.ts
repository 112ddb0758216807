// Text renderings of declarative error trees: the compact Lua table literal that Kong puts in the
// `message` of a code 14 error (Penlight's `pretty.write(t, "")`), and the indented form the CLI
// prints (`in 'services':` / `- in entry 1 of 'services':`).
import { LUA_KEYWORDS } from '../../util/lua.js'
import { type ErrorTree, entriesOf } from './error-tree.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A Lua string literal: long brackets for multi-line text, else a double-quoted `%q` string. */
function luaString(s: string): string {
  if (s.includes('\n') && !s.includes('\r')) {
    let level = ''
    while (s.includes(`]${level}]`)) level += '='
    // A leading newline right after `[[` is dropped by Lua, so it is doubled.
    return `[${level}[${s.startsWith('\n') ? '\n' : ''}${s}]${level}]`
  }
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (ch === '"' || ch === '\\') out += `\\${ch}`
    else if (ch === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f) out += `\\${code}`
    else out += ch
  }
  return `${out}"`
}

function luaKey(key: string): string {
  return IDENTIFIER.test(key) && !LUA_KEYWORDS.has(key) ? key : `[${luaString(key)}]`
}

/**
 * `{services={{host="required field missing"}}}`: positions that continue the array part are
 * written bare, other positions as `[n]=…`, then names sorted.
 */
export function luaLiteral(tree: ErrorTree): string {
  if (typeof tree === 'string') return luaString(tree)
  const items: string[] = []
  let next = 0
  for (const [key, value] of entriesOf(tree)) {
    const rendered = luaLiteral(value)
    if (typeof key === 'number') {
      if (key === next) {
        items.push(rendered)
        next++
      } else items.push(`[${key + 1}]=${rendered}`)
    } else items.push(`${luaKey(key)}=${rendered}`)
  }
  return `{${items.join(',')}}`
}

/**
 * The CLI form, one line per level, two spaces per level:
 *
 *     in 'services':
 *       - in entry 1 of 'services':
 *         in 'host': required field missing
 */
export function prettyLines(tree: ErrorTree, item = '', indent = ''): string[] {
  if (typeof tree === 'string') return [`${indent}${tree}`]
  const lines: string[] = []
  for (const [key, value] of entriesOf(tree)) {
    const label = typeof key === 'number' ? `- in entry ${key + 1} of '${item}'` : `in '${key}'`
    if (typeof value === 'string') lines.push(`${indent}${label}: ${value}`)
    else {
      lines.push(`${indent}${label}:`)
      lines.push(...prettyLines(value, typeof key === 'number' ? String(key + 1) : key, `${indent}  `))
    }
  }
  return lines
}
