// latency (balancer.md §3.4): the available address with the lowest moving average of connect +
// response time, divided by its weight, among those this request has not tried. The average
// decays with a 10 s constant; a new address starts at the average of the others (so it is
// neither flooded nor starved).
import type { Address, Algorithm, Handle } from './address.js'
import { best } from './least-connections.js'

const DECAY_S = 10

export class Latency implements Algorithm {
  constructor(
    private readonly addresses: readonly Address[],
    private readonly now: () => number = Date.now,
  ) {
    seed(addresses)
  }

  pick(handle: Handle): Address | null {
    const now = this.now()
    return best(this.addresses, handle, (a) => decayed(a, now) / a.weight, false)
  }
}

/** The address's average as of `now` (decayed towards zero since its last update). */
function decayed(a: Address, now: number): number {
  if (a.ewma < 0) return 0
  return a.ewma * Math.exp(-Math.max(0, now - a.ewmaAt) / 1000 / DECAY_S)
}

/** Folds one request's connect + response time (seconds) into the address's average. */
export function recordLatency(a: Address, seconds: number, now = Date.now()): void {
  if (a.ewma < 0) {
    a.ewma = seconds
  } else {
    const w = Math.exp(-Math.max(0, now - a.ewmaAt) / 1000 / DECAY_S)
    a.ewma = a.ewma * w + seconds * (1 - w)
  }
  a.ewmaAt = now
}

/** Addresses without an average start at the average of those with one. */
function seed(addresses: readonly Address[]): void {
  let sum = 0
  let n = 0
  for (const a of addresses) {
    if (a.ewma >= 0) {
      sum += a.ewma
      n++
    }
  }
  if (n === 0) return
  const now = Date.now()
  for (const a of addresses) {
    if (a.ewma < 0) {
      a.ewma = sum / n
      a.ewmaAt = now
    }
  }
}
