// least-connections (balancer.md §3.3): the available address with the lowest
// (connections + 1) / weight, counting this worker's requests in flight; a retry leaves out the
// addresses this request already tried, unless it tried them all.
import type { Address, Algorithm, Handle } from './address.js'

export class LeastConnections implements Algorithm {
  constructor(private readonly addresses: readonly Address[]) {}

  pick(handle: Handle): Address | null {
    return best(this.addresses, handle, (a) => (a.connections + 1) / a.weight, true)
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
): Address | null {
  let chosen: Address | null = null
  let chosenScore = 0
  let fresh = false
  for (const a of addresses) {
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
