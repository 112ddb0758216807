// The User-Agent classification of bot-detection (plugins.md §6.17): allow list, then deny list,
// then the built-in bot list; results are cached per User-Agent and configuration.
import { compileAll } from './regex.js'
import { BOT_RULES } from './rules.js'

/** Classification results (Kong's MATCH_EMPTY, MATCH_ALLOW, MATCH_DENY, MATCH_BOT). */
export const Match = { None: 0, Allow: 1, Deny: 2, Bot: 3 } as const
export type Match = (typeof Match)[keyof typeof Match]

/** Kong's strip(): Lua's `%s` characters at both ends. */
const EDGE_SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g

const BOTS = compileAll(BOT_RULES)
const CACHE_SIZE = 10_000

export class Detector {
  private readonly allow: RegExp[]
  private readonly deny: RegExp[]
  private readonly cache = new Map<string, Match>()

  constructor(allow: readonly string[] | null, deny: readonly string[] | null) {
    this.allow = compileAll(allow ?? [])
    this.deny = compileAll(deny ?? [])
  }

  /** How a User-Agent value (as received) is classified. */
  examine(userAgent: string): Match {
    let m = this.cache.get(userAgent)
    if (m !== undefined) return m
    m = this.classify(userAgent.replace(EDGE_SPACE, ''))
    // Bounded: the oldest entry goes first.
    if (this.cache.size >= CACHE_SIZE) {
      const oldest = this.cache.keys().next()
      if (oldest.done !== true) this.cache.delete(oldest.value)
    }
    this.cache.set(userAgent, m)
    return m
  }

  private classify(ua: string): Match {
    for (const r of this.allow) if (r.test(ua)) return Match.Allow
    for (const r of this.deny) if (r.test(ua)) return Match.Deny
    for (const r of BOTS) if (r.test(ua)) return Match.Bot
    return Match.None
  }
}
