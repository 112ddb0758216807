// Matcher priority of the traditional_compatible flavor (router.md §5.1, Kong's
// kong/router/transform.lua get_priority). Layout, most significant bit first:
//
//   63..61 match weight   number of non-empty fields among methods, hosts, headers, paths,
//                         snis, sources, destinations
//   60     plain hosts    `hosts` is set (even to an empty array: Kong quirk) and has no `*`
//   59..52 header count   distinct header names, capped at 255
//   51     regex          the path group is the regex group
//   50..19 regex_priority only for the regex group
//   18..0  prefix length  byte length of the group's prefix paths (masked to 19 bits)
//
// JavaScript numbers cannot hold 64 bits, so the value is kept as two unsigned 32-bit halves
// (`hi` = bits 63..32, `lo` = bits 31..0) that compare like the 64-bit integer; `toBigInt`
// gives the real value for display and tests.
//
// regex_priority is a signed integer in Kong's schema. Kong shifts it unchecked (a negative
// value overflows into the higher fields); here a negative value occupies 0 in the field and
// orders below 0 through `signedRegexPriority`, the next sort key (see compareMatcherKeys),
// which is what users setting a negative value expect. Values above 2^32-1 are clamped.

const MAX_HEADER_COUNT = 255
const MAX_REGEX_PRIORITY = 0xffffffff
const PREFIX_LENGTH_MASK = 0x7ffff

/** The inputs of the priority of one matcher (one path group of a route). */
export interface PriorityInput {
  /** Number of non-empty fields among methods, hosts, headers, paths, snis, sources, destinations. */
  readonly weight: number
  readonly plainHosts: boolean
  readonly headerCount: number
  readonly regex: boolean
  /** The route's regex_priority (ignored unless `regex`). */
  readonly regexPriority: number
  /** Byte length of the group's prefix paths (0 for regex groups and path-less routes). */
  readonly prefixLength: number
}

export interface Priority {
  readonly hi: number
  readonly lo: number
  /** regex_priority as a signed integer (0 unless regex): orders negative values below 0. */
  readonly signedRegexPriority: number
}

export function computePriority(input: PriorityInput): Priority {
  const weight = input.weight & 0x7
  const headers = Math.min(input.headerCount, MAX_HEADER_COUNT)
  const signed = input.regex ? Math.trunc(input.regexPriority) || 0 : 0
  const field = Math.min(Math.max(signed, 0), MAX_REGEX_PRIORITY)
  // Bits 50..19 of the 64-bit value: the top 19 bits of the 32-bit field land in hi bits
  // 18..0, its low 13 bits in lo bits 31..19.
  const rpHigh = Math.floor(field / 0x2000)
  const rpLow = field % 0x2000
  const hi =
    (weight * 0x20000000 + // bits 63..61 → hi 31..29
      (input.plainHosts ? 0x10000000 : 0) + // bit 60 → hi 28
      headers * 0x100000 + // bits 59..52 → hi 27..20
      (input.regex ? 0x80000 : 0) + // bit 51 → hi 19
      rpHigh) >>>
    0
  const lo = (rpLow * 0x80000 + (input.prefixLength & PREFIX_LENGTH_MASK)) >>> 0
  return { hi, lo, signedRegexPriority: signed }
}

export function priorityToBigInt(p: Priority): bigint {
  return (BigInt(p.hi) << 32n) | BigInt(p.lo)
}

/** Sort keys of a matcher: priority, then signed regex_priority, then id (router.md §5.3). */
export interface MatcherKey extends Priority {
  /** Lower-cased id: for canonical UUIDs, string order is Kong's byte order of the UUID. */
  readonly idKey: string
}

/**
 * Evaluation order: negative when `a` must be tried before `b`. Kong's ATC router keeps
 * matchers in a map ordered by (priority, uuid) and walks it backwards, so on equal priority
 * the greater id wins.
 */
export function compareMatcherKeys(a: MatcherKey, b: MatcherKey): number {
  if (a.hi !== b.hi) return b.hi - a.hi
  if (a.lo !== b.lo) return b.lo - a.lo
  if (a.signedRegexPriority !== b.signedRegexPriority) return b.signedRegexPriority - a.signedRegexPriority
  if (a.idKey === b.idKey) return 0
  return a.idKey > b.idKey ? -1 : 1
}
