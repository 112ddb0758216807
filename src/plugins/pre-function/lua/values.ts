// Values between JavaScript and the Lua runtime of the serverless plugins (fengari): what the
// PDK returns becomes Lua values, and what Lua code passes to the PDK becomes JavaScript values.
//
//   JavaScript                         Lua
//   undefined, null (top level)    ↔   nil
//   null inside an object or array  →  cjson.null (and cjson.null → null)
//   boolean, number, string         ↔  boolean, number, string (UTF-8)
//   Buffer / Uint8Array             →  string (the bytes)
//   array                           ↔  table with the keys 1..n (n ≥ 1)
//   plain object                    ↔  any other table (number keys become strings; an empty
//                                      table is an empty object)
//   functions, symbols              →  nil
//
// Tables are copied both ways: a change made later to either side is not seen by the other.
import { type LuaState, lauxlib, lua, to_luastring } from 'fengari'

/** Lua's `cjson.null` (and `ngx.null`): a light userdata that stands for JSON's null. */
export const NULL: object = Object.freeze({ cjsonNull: true })

/** Nesting limit of a conversion (deeper data, or a cycle, is an error). */
const MAX_DEPTH = 100

export class ConversionError extends Error {}

/** A JavaScript string as a Lua string (UTF-8 bytes). */
export function luaString(s: string): Uint8Array {
  return to_luastring(s)
}

/** Raises a Lua error `<where>: message` from a JavaScript function called by Lua. Never returns. */
export function raise(L: LuaState, message: string): never {
  lauxlib.luaL_where(L, 1)
  lua.lua_pushstring(L, to_luastring(message))
  lua.lua_concat(L, 2)
  return lua.lua_error(L)
}

function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

/** Pushes a JavaScript value (see the table above). `inner`: inside a table, where null is cjson.null. */
export function pushValue(L: LuaState, v: unknown, inner = false, depth = 0): void {
  switch (typeof v) {
    case 'string':
      lua.lua_pushstring(L, to_luastring(v))
      return
    case 'number':
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) lua.lua_pushinteger(L, v)
      else lua.lua_pushnumber(L, v)
      return
    case 'boolean':
      lua.lua_pushboolean(L, v)
      return
    case 'bigint':
      lua.lua_pushnumber(L, Number(v))
      return
    case 'object':
      break
    default:
      lua.lua_pushnil(L)
      return
  }
  if (v === null) {
    if (inner) lua.lua_pushlightuserdata(L, NULL)
    else lua.lua_pushnil(L)
    return
  }
  if (v instanceof Uint8Array) {
    lua.lua_pushstring(L, new Uint8Array(v))
    return
  }
  if (depth >= MAX_DEPTH) throw new ConversionError('value too deeply nested (or cyclic)')
  lauxlib.luaL_checkstack(L, 3, null)
  if (Array.isArray(v)) {
    lua.lua_createtable(L, v.length, 0)
    for (let i = 0; i < v.length; i++) {
      pushValue(L, v[i], true, depth + 1)
      lua.lua_rawseti(L, -2, i + 1)
    }
    return
  }
  const entries = Object.entries(v as Record<string, unknown>)
  lua.lua_createtable(L, 0, entries.length)
  for (const [key, value] of entries) {
    if (value === undefined || typeof value === 'function') continue
    lua.lua_pushstring(L, to_luastring(key))
    pushValue(L, value, true, depth + 1)
    lua.lua_rawset(L, -3)
  }
}

/** The Lua string at `idx` as JavaScript text (UTF-8, invalid bytes replaced), or null. */
export function toText(L: LuaState, idx: number): string | null {
  const t = lua.lua_type(L, idx)
  if (t !== lua.LUA_TSTRING && t !== lua.LUA_TNUMBER) return null
  const bytes = lua.lua_tolstring(L, idx)
  return bytes === null ? null : decode(bytes)
}

/** The Lua string at `idx` as a Buffer (a copy of its bytes), or null. */
export function toBytes(L: LuaState, idx: number): Buffer | null {
  if (lua.lua_type(L, idx) !== lua.LUA_TSTRING) return null
  const bytes = lua.lua_tolstring(L, idx)
  return bytes === null ? null : Buffer.from(bytes)
}

/** Lua's `tostring(v)` of the value at `idx` (metamethods included), as JavaScript text. */
export function toDisplay(L: LuaState, idx: number): string {
  const bytes = lauxlib.luaL_tolstring(L, idx)
  lua.lua_pop(L, 1)
  return decode(bytes)
}

/**
 * The Lua value at `idx` as a JavaScript value (see the table above): nil is undefined at the
 * top level and null inside tables. `binary`: strings become Buffers instead of text.
 */
export function toValue(L: LuaState, idx: number, binary = false, depth = 0): unknown {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TNIL:
    case lua.LUA_TNONE:
      return undefined
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, idx)
    case lua.LUA_TNUMBER:
      return lua.lua_tonumber(L, idx)
    case lua.LUA_TSTRING:
      return binary ? toBytes(L, idx) : toText(L, idx)
    case lua.LUA_TLIGHTUSERDATA:
      return lua.lua_touserdata(L, idx) === NULL ? null : undefined
    case lua.LUA_TTABLE:
      return tableValue(L, lua.lua_absindex(L, idx), depth)
    default:
      return undefined
  }
}

function tableValue(L: LuaState, t: number, depth: number): unknown {
  if (depth >= MAX_DEPTH) throw new ConversionError('table too deeply nested (or cyclic)')
  lauxlib.luaL_checkstack(L, 4, null)
  const keys: (string | number)[] = []
  const values: unknown[] = []
  let sequence = true
  lua.lua_pushnil(L)
  while (lua.lua_next(L, t) !== 0) {
    const kt = lua.lua_type(L, -2)
    let key: string | number | null = null
    if (kt === lua.LUA_TNUMBER) {
      key = lua.lua_tonumber(L, -2)
      if (!Number.isInteger(key) || key < 1) sequence = false
    } else if (kt === lua.LUA_TSTRING) {
      key = toText(L, -2)
      sequence = false
    }
    if (key !== null) {
      const value = toValue(L, -1, false, depth + 1)
      keys.push(key)
      values.push(value === undefined ? null : value)
    }
    lua.lua_pop(L, 1)
  }
  const n = keys.length
  if (sequence && n > 0) {
    const out: unknown[] = new Array(n)
    let seen = 0
    for (let i = 0; i < n; i++) {
      const k = keys[i] as number
      if (k > n) break
      out[k - 1] = values[i]
      seen++
    }
    if (seen === n) return out
  }
  const out: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) out[String(keys[i])] = values[i]
  return out
}
