// consistent-hashing (balancer.md §3.2): a Ketama-style ring of `slots` places (at least 1000).
// Each address gets points in proportion to its weight (160 per target when weights are equal),
// placed at xxhash32("<ip>::<port> <i>") the way Kong places them, so the same hash value picks
// the same address as Kong for the same targets. A request's hash value gives a start place; the
// ring is walked downwards to the first available address. Adding or removing one address only
// moves the keys of the places it takes or frees.
import type { Address, Algorithm, Handle } from './address.js'
import { xxhash32 } from './xxhash32.js'

const MIN_POINTS = 1000
const SERVER_POINTS = 160

export class ConsistentHashing implements Algorithm {
  /** Ring places 1..size (index 0 unused), empty places undefined. */
  readonly ring: (Address | undefined)[]
  readonly size: number

  /** `targets`: how many targets the addresses come from (Kong's point count uses it). */
  constructor(addresses: readonly Address[], slots: number, targets: number) {
    this.size = Math.max(slots, MIN_POINTS)
    const ring: (Address | undefined)[] = new Array(this.size + 1)
    let total = 0
    for (const a of addresses) total += a.weight
    // the same order on every worker and node: by target name then port, then address
    const sorted = [...addresses].sort((a, b) => {
      const ta = targetName(a)
      const tb = targetName(b)
      if (ta !== tb) return ta < tb ? -1 : 1
      if (a.port !== b.port) return a.port - b.port
      return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
    })
    for (const a of sorted) {
      if (a.weight <= 0) continue
      let entries = Math.floor((a.weight / total) * targets * SERVER_POINTS)
      if (entries === 0) entries = 1
      for (let i = 1; i <= entries; i++) {
        if (i > this.size) break
        const place = (xxhash32(`${a.host}::${a.port} ${i}`) % this.size) + 1
        if (ring[place] === undefined) ring[place] = a
        else entries++ // taken: one more point, the collision moves forward
      }
    }
    this.ring = ring
  }

  /** The ring place a hash value starts at. */
  startOf(hashValue: string): number {
    return (xxhash32(hashValue) % this.size) + 1
  }

  pick(handle: Handle, hashValue: string): Address | null {
    if (handle.start === -1) handle.start = this.startOf(hashValue)
    let index = handle.start
    for (let n = 0; n < this.size; n++) {
      const a = this.ring[index]
      if (a?.available) return a
      index = index === 1 ? this.size : index - 1
    }
    return null
  }
}

/** The target's name (host of `host:port`), which Kong sorts on. */
function targetName(a: Address): string {
  const colon = a.target.lastIndexOf(':')
  return colon === -1 ? a.target : a.target.slice(0, colon)
}
