// A worker's view of the node's health state (balancer.md §6.2): the unhealthy addresses of each
// upstream, as last broadcast by the primary. Balancers built later start from it.

const unhealthyByUpstream = new Map<string, ReadonlySet<string>>()
const NONE: ReadonlySet<string> = new Set()

export function unhealthyOf(upstreamId: string): ReadonlySet<string> {
  return unhealthyByUpstream.get(upstreamId) ?? NONE
}

export function setUnhealthy(upstreamId: string, keys: readonly string[]): ReadonlySet<string> {
  const set = new Set(keys)
  if (set.size === 0) unhealthyByUpstream.delete(upstreamId)
  else unhealthyByUpstream.set(upstreamId, set)
  return set
}
