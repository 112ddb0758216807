// least-connections (balancer.md §3.3): the available address with the lowest
// (connections + 1) / weight, counting this worker's requests in flight; a retry leaves out the
// addresses this request already tried, unless it tried them all. Ties go round in turn (so
// light traffic, where every count is 0, is still spread).
import type { Address, Algorithm, Handle } from './address.js'

export class LeastConnections implements Algorithm {
  private turn = 0

  constructor(private readonly addresses: readonly Address[]) {}

  pick(handle: Handle): Address | null {
    const n = this.addresses.length
    this.turn = n === 0 ? 0 : (this.turn + 1) % n
    return best(this.addresses, handle, (a) => (a.connections + 1) / a.weight, true, this.turn)
  }
}

/**
 * The available address with the lowest score among those the request has not tried; when it
 * tried them all, among all of them (`again`) or none.
 */
export function best(
  addresses: readonly Address[],
  handle: Handle,
  score: (a: Address) => number,
  again: boolean,
  /** Where the scan starts: the first of equal scores wins. */
  start = 0,
): Address | null {
  let chosen: Address | null = null
  let chosenScore = 0
  let fresh = false
  const n = addresses.length
  for (let i = 0; i < n; i++) {
    const a = addresses[(start + i) % n]
    if (!a.available || a.weight <= 0) continue
    const untried = !handle.tried.includes(a)
    if (!untried && (fresh || !again)) continue
    const s = score(a)
    if (chosen === null || (untried && !fresh) || s < chosenScore) {
      chosen = a
      chosenScore = s
      fresh = untried
    }
  }
  return chosen
}
