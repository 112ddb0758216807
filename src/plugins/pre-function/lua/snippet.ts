// One Lua snippet of a serverless plugin instance, as a function `(kong) => …` that the phase
// loop of sandbox.ts calls like a JavaScript one. The chunk is compiled into the instance's
// environment on first use in the worker's Lua runtime (and again if that runtime is replaced).
import type { LuaProxy } from 'fengari'
import type { Kong, Row } from '../../../pdk/types.js'
import { type LuaMode, type LuaRuntime, luaRuntime } from './runtime.js'

function listSetting(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((s) => s !== '')
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  return []
}

/** The globals of one plugin instance's Lua snippets (made on first use, per runtime). */
export class LuaEnvironment {
  private generation = -1
  private env: LuaProxy | null = null

  get(rt: LuaRuntime, mode: LuaMode, configuration: Readonly<Row>): LuaProxy {
    if (this.env === null || this.generation !== rt.generation) {
      this.env = rt.environment(
        mode,
        listSetting(configuration.untrusted_lua_sandbox_environment),
        listSetting(configuration.untrusted_lua_sandbox_requires),
      )
      this.generation = rt.generation
    }
    return this.env
  }
}

export interface LuaSnippetOptions {
  phase: string
  /** kong.response.exit ends the snippet (rewrite, access). */
  stopOnExit: boolean
  /** The snippet may wait for promises (rewrite, access, log). */
  async: boolean
  timeoutMs: number
  /** The chunk name in Lua messages: `config.access[0]`. */
  chunkname: string
}

export class LuaSnippet {
  private generation = -1
  private chunk: LuaProxy | null = null
  /** The function the chunk returned, run instead of the chunk from then on. */
  private returned: LuaProxy | null = null
  /** The call options, with and without `keep` (made once: calls allocate nothing for them). */
  private readonly first: LuaSnippetOptions & { keep: (fn: LuaProxy) => void }

  constructor(
    private readonly code: string,
    private readonly environment: LuaEnvironment,
    private readonly mode: () => LuaMode,
    private readonly opts: LuaSnippetOptions,
  ) {
    this.first = {
      ...opts,
      keep: (fn: LuaProxy): void => {
        this.returned ??= fn
      },
    }
  }

  run(kong: Kong): undefined | Promise<void> {
    const rt = luaRuntime()
    if (this.chunk === null || this.generation !== rt.generation) {
      const env = this.environment.get(rt, this.mode(), kong.configuration)
      this.chunk = rt.compile(this.code, this.opts.chunkname, env)
      this.returned = null
      this.generation = rt.generation
    }
    const returned = this.returned
    return returned === null ? rt.call(this.chunk, kong, this.first) : rt.call(returned, kong, this.opts)
  }
}
