// The part of the Lua runtime written in Lua: kong.ctx, kong.configuration, kong.table, the `ngx`
// table and the environments snippets run in (untrusted_lua = sandbox / on). It runs once per Lua
// state, with the JavaScript-made pieces as arguments, and returns the functions the runtime
// calls. Kept as a string so that it ships inside dist/ with the compiled JavaScript.
export const PRELUDE = String.raw`
local P, kong, H, cjson, cjson_safe = ...
local G = _G
local setmetatable, getmetatable, rawset, type, next, pairs, ipairs, error, tostring, select, load =
      setmetatable, getmetatable, rawset, type, next, pairs, ipairs, error, tostring, select, load
local concat, unpack = table.concat, table.unpack
local rawgetmetatable = debug.getmetatable

-- Per-request tables mirrored into the JavaScript object they stand for (kong.ctx.shared and
-- kong.ctx.plugin): Lua sees its own values (tables keep their identity), JavaScript sees a copy
-- made at assignment; keys only JavaScript set are read (converted) from there.
local function ctx_table(read, write, keys)
  local store = {}
  local function index(_, k)
    local v = store[k]
    if v == nil then
      v = read(k)
      if type(v) == "table" then store[k] = v end
    end
    return v
  end
  return setmetatable({}, {
    __index = index,
    __newindex = function(_, k, v)
      store[k] = v
      write(k, v)
    end,
    __pairs = function(t)
      local all = {}
      for k, v in next, store do all[k] = v end
      for _, k in ipairs(keys()) do
        if all[k] == nil then all[k] = index(t, k) end
      end
      return next, all, nil
    end,
  })
end

local function read_only(name)
  return function() error(name .. " is read-only", 2) end
end

kong.ctx = setmetatable({}, {
  __index = function(_, k)
    if k == "shared" or k == "plugin" then return P.ctx(k) end
  end,
  __newindex = read_only("kong.ctx"),
  __metatable = false,
})
kong.configuration = setmetatable({}, {
  __index = function(_, k) return P.configuration(k) end,
  __newindex = read_only("kong.configuration"),
  __metatable = false,
})
kong.table = {
  new = function() return {} end,
  clear = function(t) for k in next, t do t[k] = nil end end,
}

-- ngx: what maps onto the PDK (docs/plugins/pre-function.md lists it).
local ngx = {
  OK = 0, ERROR = -1, AGAIN = -2, DONE = -4, DECLINED = -5,
  HTTP_CONTINUE = 100, HTTP_SWITCHING_PROTOCOLS = 101,
  HTTP_OK = 200, HTTP_CREATED = 201, HTTP_ACCEPTED = 202, HTTP_NO_CONTENT = 204, HTTP_PARTIAL_CONTENT = 206,
  HTTP_SPECIAL_RESPONSE = 300, HTTP_MOVED_PERMANENTLY = 301, HTTP_MOVED_TEMPORARILY = 302,
  HTTP_SEE_OTHER = 303, HTTP_NOT_MODIFIED = 304, HTTP_TEMPORARY_REDIRECT = 307, HTTP_PERMANENT_REDIRECT = 308,
  HTTP_BAD_REQUEST = 400, HTTP_UNAUTHORIZED = 401, HTTP_PAYMENT_REQUIRED = 402, HTTP_FORBIDDEN = 403,
  HTTP_NOT_FOUND = 404, HTTP_NOT_ALLOWED = 405, HTTP_NOT_ACCEPTABLE = 406, HTTP_REQUEST_TIMEOUT = 408,
  HTTP_CONFLICT = 409, HTTP_GONE = 410, HTTP_UPGRADE_REQUIRED = 426, HTTP_TOO_MANY_REQUESTS = 429,
  HTTP_CLOSE = 444, HTTP_ILLEGAL = 451,
  HTTP_INTERNAL_SERVER_ERROR = 500, HTTP_METHOD_NOT_IMPLEMENTED = 501, HTTP_BAD_GATEWAY = 502,
  HTTP_SERVICE_UNAVAILABLE = 503, HTTP_GATEWAY_TIMEOUT = 504, HTTP_VERSION_NOT_SUPPORTED = 505,
  HTTP_INSUFFICIENT_STORAGE = 507,
  STDERR = 0, EMERG = 1, ALERT = 2, CRIT = 3, ERR = 4, WARN = 5, NOTICE = 6, INFO = 7, DEBUG = 8,
  null = cjson.null,
  say = H.say, print = H.print, exit = H.exit, now = H.now,
  time = function() return os.time() end,
  today = function() return os.date("%Y-%m-%d") end,
  localtime = function() return os.date("%Y-%m-%d %H:%M:%S") end,
  utctime = function() return os.date("!%Y-%m-%d %H:%M:%S") end,
  update_time = function() end,
  encode_base64 = H.encode_base64, decode_base64 = H.decode_base64,
  md5 = H.md5, md5_bin = H.md5_bin, sha1_bin = H.sha1_bin,
  escape_uri = H.escape_uri, unescape_uri = H.unescape_uri,
}
local LEVELS = { [0] = "err", "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug" }
function ngx.log(level, ...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  kong.log[LEVELS[level] or "notice"](concat(parts))
end
ngx.var = setmetatable({}, {
  __index = function(_, k) return H.var(tostring(k)) end,
  __newindex = function(_, k) error("ngx.var." .. tostring(k) .. " cannot be assigned here", 2) end,
  __metatable = false,
})
ngx.req = {
  get_headers = function(max) return kong.request.get_headers(max) end,
  get_method = function() return kong.request.get_method() end,
  get_uri_args = function(max) return kong.request.get_query(max) end,
  http_version = function() return kong.request.get_http_version() end,
  start_time = function() return kong.request.get_start_time() / 1000 end,
  read_body = function() end,
  get_body_data = function()
    local body = kong.request.get_raw_body()
    if body == "" then return nil end
    return body
  end,
  set_header = function(name, value)
    if value == nil then kong.service.request.clear_header(name)
    else kong.service.request.set_header(name, value) end
  end,
  clear_header = function(name) kong.service.request.clear_header(name) end,
  set_uri = function(uri) kong.service.request.set_path(uri) end,
  set_uri_args = function(args)
    if type(args) == "string" then kong.service.request.set_raw_query(args)
    else kong.service.request.set_query(args) end
  end,
}
ngx.header = setmetatable({}, {
  __index = function(_, k) return kong.response.get_header((tostring(k):gsub("_", "-"))) end,
  __newindex = function(_, k, v)
    k = tostring(k):gsub("_", "-")
    if v == nil then kong.response.clear_header(k) else kong.response.set_header(k, v) end
  end,
  __metatable = false,
})
setmetatable(ngx, {
  __index = function(_, k)
    if k == "status" then return H.get_status() elseif k == "ctx" then return P.ngx_ctx() end
  end,
  __newindex = function(t, k, v)
    if k == "status" then H.set_status(v)
    elseif k == "ctx" then error("ngx.ctx cannot be replaced", 2)
    else rawset(t, k, v) end
  end,
  __metatable = false,
})

local function print_(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  kong.log.notice(concat(parts, "\t"))
end

-- Library tables are copied per environment: what one plugin instance changes stays its own.
local function copy(t, seen)
  seen = seen or {}
  if seen[t] then return seen[t] end
  local out = {}
  seen[t] = out
  for k, v in next, t do
    if type(v) == "table" then out[k] = copy(v, seen) else out[k] = v end
  end
  return setmetatable(out, rawgetmetatable(t))
end

-- The strings' metatable (string methods) is shared by every environment: hide it.
getmetatable("").__metatable = false

local SAFE = {
  "_VERSION", "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
  "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall",
}

-- Kong's untrusted_lua_sandbox_environment: links a global of the full environment ("a.b.c").
local function link(env, path)
  local src, dst = G, env
  local parts = {}
  for part in path:gmatch("[^%.]+") do parts[#parts + 1] = part end
  for i, part in ipairs(parts) do
    if type(src) ~= "table" then return end
    local v = src[part]
    if v == nil then return end
    if i == #parts then dst[part] = v return end
    if type(dst[part]) ~= "table" then dst[part] = {} end
    src, dst = v, dst[part]
  end
end

local function builtin(name)
  if name == "cjson" then return cjson elseif name == "cjson.safe" then return cjson_safe end
end

local function sandbox_env(environment, requires)
  local env = {}
  for _, name in ipairs(SAFE) do env[name] = G[name] end
  env.print = print_
  env.unpack = unpack
  env.string = copy(string)
  env.string.dump = nil
  env.table = copy(table)
  env.math = copy(math)
  env.coroutine = copy(coroutine)
  env.utf8 = copy(utf8)
  env.os = { clock = os.clock, date = os.date, difftime = os.difftime, time = os.time }
  env.kong = copy(kong)
  env.ngx = copy(ngx)
  env._G = env
  -- Text chunks only (no bytecode), in this environment unless one is given.
  env.load = function(chunk, name, mode, e)
    if mode ~= nil and mode ~= "t" then error("loading of bytecode is not allowed within sandbox", 2) end
    return load(chunk, name, "t", e or env)
  end
  local allowed = {}
  for _, name in ipairs(requires) do allowed[name] = true end
  env.require = function(name)
    local m = builtin(name)
    if m ~= nil then return m end
    if allowed[name] then return G.require(name) end
    error("require '" .. tostring(name) .. "' not allowed within sandbox", 2)
  end
  for _, path in ipairs(environment) do link(env, path) end
  return env
end

-- untrusted_lua = on: every global of the state (io, os, debug, package, require...).
G.kong, G.ngx, G.print, G.unpack = kong, ngx, print_, unpack
package.preload["cjson"] = function() return cjson end
package.preload["cjson.safe"] = function() return cjson_safe end
local function open_env()
  return setmetatable({}, { __index = G })
end

return ctx_table, sandbox_env, open_env
`
