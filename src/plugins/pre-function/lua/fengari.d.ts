// The part of fengari's API (Lua 5.3's C API, in JavaScript) that the Lua runtime uses. fengari
// ships no type declarations. Lua strings are byte arrays (Uint8Array); values on the Lua side are
// opaque to JavaScript.
declare module 'fengari' {
  /** A Lua thread (lua_State). */
  export interface LuaState {
    readonly __luaState: unique symbol
  }
  export type LuaString = Uint8Array
  export type JsFunction = (L: LuaState) => number
  export type Hook = (L: LuaState, ar: unknown) => void
  /** From lua_toproxy: pushes the value it was made from onto a thread of the same state. */
  export type LuaProxy = (L: LuaState) => void

  export const lua: {
    LUA_OK: number
    LUA_YIELD: number
    LUA_ERRRUN: number
    LUA_ERRSYNTAX: number
    LUA_MULTRET: number
    LUA_MASKCOUNT: number
    LUA_REGISTRYINDEX: number
    LUA_TNONE: number
    LUA_TNIL: number
    LUA_TBOOLEAN: number
    LUA_TLIGHTUSERDATA: number
    LUA_TNUMBER: number
    LUA_TSTRING: number
    LUA_TTABLE: number
    LUA_TFUNCTION: number
    LUA_TUSERDATA: number
    LUA_TTHREAD: number
    lua_upvalueindex(i: number): number
    lua_absindex(L: LuaState, idx: number): number
    lua_atnativeerror(L: LuaState, f: JsFunction): JsFunction | null
    lua_call(L: LuaState, nargs: number, nresults: number): void
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number
    lua_concat(L: LuaState, n: number): void
    lua_createtable(L: LuaState, narr: number, nrec: number): void
    lua_error(L: LuaState): never
    lua_getfield(L: LuaState, idx: number, k: LuaString | string): number
    lua_setfield(L: LuaState, idx: number, k: LuaString | string): void
    lua_getglobal(L: LuaState, name: LuaString | string): number
    lua_setglobal(L: LuaState, name: LuaString | string): void
    lua_gettop(L: LuaState): number
    lua_settop(L: LuaState, idx: number): void
    lua_pop(L: LuaState, n: number): void
    lua_insert(L: LuaState, idx: number): void
    lua_remove(L: LuaState, idx: number): void
    lua_isinteger(L: LuaState, idx: number): boolean
    lua_isyieldable(L: LuaState): boolean
    lua_newtable(L: LuaState): void
    lua_newthread(L: LuaState): LuaState
    lua_next(L: LuaState, idx: number): number
    lua_pushboolean(L: LuaState, b: boolean): void
    lua_pushinteger(L: LuaState, n: number): void
    lua_pushnumber(L: LuaState, n: number): void
    lua_pushnil(L: LuaState): void
    lua_pushstring(L: LuaState, s: LuaString): LuaString
    lua_pushliteral(L: LuaState, s: string): LuaString
    lua_pushjsfunction(L: LuaState, f: JsFunction): void
    lua_pushjsclosure(L: LuaState, f: JsFunction, n: number): void
    lua_pushlightuserdata(L: LuaState, p: unknown): void
    lua_pushvalue(L: LuaState, idx: number): void
    lua_rawequal(L: LuaState, a: number, b: number): boolean
    lua_rawget(L: LuaState, idx: number): number
    lua_rawgeti(L: LuaState, idx: number, n: number): number
    lua_rawlen(L: LuaState, idx: number): number
    lua_rawset(L: LuaState, idx: number): void
    lua_rawseti(L: LuaState, idx: number, n: number): void
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number
    lua_sethook(L: LuaState, f: Hook | null, mask: number, count: number): void
    lua_setmetatable(L: LuaState, idx: number): void
    lua_setupvalue(L: LuaState, funcindex: number, n: number): LuaString | null
    lua_toboolean(L: LuaState, idx: number): boolean
    lua_tointeger(L: LuaState, idx: number): number
    lua_tonumber(L: LuaState, idx: number): number
    lua_tolstring(L: LuaState, idx: number): LuaString | null
    lua_tojsstring(L: LuaState, idx: number): string | null
    lua_toproxy(L: LuaState, idx: number): LuaProxy
    lua_touserdata(L: LuaState, idx: number): unknown
    lua_type(L: LuaState, idx: number): number
    lua_yield(L: LuaState, n: number): never
  }

  export const lauxlib: {
    luaL_newstate(): LuaState
    luaL_loadbufferx(
      L: LuaState,
      buff: LuaString,
      size: number,
      name: LuaString,
      mode: LuaString | null,
    ): number
    luaL_requiref(L: LuaState, name: LuaString, openf: JsFunction, glb: boolean): void
    luaL_tolstring(L: LuaState, idx: number): LuaString
    luaL_where(L: LuaState, level: number): void
    luaL_checkstack(L: LuaState, sz: number, msg: string | null): void
    luaL_traceback(L: LuaState, L1: LuaState, msg: LuaString | null, level: number): void
  }

  export const lualib: {
    luaopen_base: JsFunction
    luaopen_coroutine: JsFunction
    luaopen_table: JsFunction
    luaopen_io: JsFunction
    luaopen_os: JsFunction
    luaopen_string: JsFunction
    luaopen_utf8: JsFunction
    luaopen_math: JsFunction
    luaopen_debug: JsFunction
    luaopen_package: JsFunction
  }

  export function to_luastring(s: string): LuaString
  export function to_jsstring(s: LuaString): string
}
