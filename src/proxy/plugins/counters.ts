// A worker's side of the node-wide counters (kong.counters, cluster/counters.ts). A take is
// answered at once, without a message, from a lease: units the primary granted ahead of need.
// Otherwise it waits for the next batch to the primary: the takes of one event-loop turn on the
// same counters become one acquisition of that many units. One batch is in flight at a time
// (the takes issued meanwhile leave together as the next one), so a busy worker sends few
// messages (an IPC message costs tens of µs of CPU on each side). Unspent units go back to the
// primary after LEASE_MS, or at once when it reclaims them. A batch unanswered after a timeout
// fails its takes (the plugin then decides, e.g. rate-limiting's fault_tolerant): a request never
// hangs on the counters.
import {
  type CounterResult,
  decodeGrants,
  decodeKeys,
  encodeAcquire,
  encodeRelease,
  joinRecords,
  LEASE_MS,
  opKey,
  type PreviousWindows,
} from '../../cluster/counters.js'
import type { WorkerMessage } from '../../cluster/messages.js'
import type { KongCounters } from '../../pdk/types.js'

const TIMEOUT_MS = 5000

interface Waiter {
  resolve: (r: CounterResult) => void
  reject: (err: Error) => void
}

/** The takes of one batch on the same counters. */
interface Group {
  key: string
  keys: readonly string[]
  limits: readonly number[]
  ttls: readonly number[]
  previous?: PreviousWindows
  waiters: Waiter[]
}

interface Lease {
  keys: readonly string[]
  units: number
  /** The usage the next take from the lease answers. */
  next: number[]
  /** Sliding windows: the previous windows' counts, as the primary last told. */
  previous?: number[]
  expiresAt: number
}

interface Batch {
  groups: Group[]
  timer: NodeJS.Timeout
}

export class LeasedCounters implements KongCounters {
  private nextId = 1
  private readonly leases = new Map<string, Lease>()
  /** The next batch's acquisitions, by opKey. */
  private queued = new Map<string, Group>()
  /** The next batch's releases (encoded records). */
  private releases: string[] = []
  private scheduled = false
  private inFlight: { id: number; batch: Batch } | null = null

  constructor(
    private readonly send: (m: WorkerMessage) => void,
    private readonly now: () => number = Date.now,
  ) {
    setInterval(() => this.expire(), LEASE_MS / 4).unref()
  }

  take(
    keys: readonly string[],
    limits: readonly number[],
    ttls: readonly number[],
    previous?: PreviousWindows,
  ): CounterResult | Promise<CounterResult> {
    const key = this.keyOf(keys)
    const lease = this.leases.get(key)
    if (lease !== undefined) {
      // (with sliding windows, a lease stays valid while the windows slide: the previous
      // windows only weigh less as time passes)
      const usage = lease.next.slice()
      for (let i = 0; i < usage.length; i++) lease.next[i]++
      if (--lease.units === 0) this.leases.delete(key)
      return lease.previous === undefined
        ? { allowed: true, usage }
        : { allowed: true, usage, previous: lease.previous }
    }
    return new Promise<CounterResult>((resolve, reject) => {
      const g = this.queued.get(key) ?? { key, keys, limits, ttls, previous, waiters: [] }
      this.queued.set(key, g)
      g.waiters.push({ resolve, reject })
      this.schedule()
    })
  }

  /** Callers that pass the same frozen keys array again (rate-limiting does) get its opKey back. */
  private readonly joined = new WeakMap<readonly string[], string>()

  private keyOf(keys: readonly string[]): string {
    if (keys.length === 1) return keys[0]
    if (!Object.isFrozen(keys)) return opKey(keys)
    let key = this.joined.get(keys)
    if (key === undefined) {
      key = opKey(keys)
      this.joined.set(keys, key)
    }
    return key
  }

  /** Units spent by nobody after LEASE_MS go back to the primary. */
  expire(): void {
    const now = this.now()
    for (const [key, lease] of this.leases) {
      if (lease.expiresAt > now) continue
      this.leases.delete(key)
      this.releases.push(encodeRelease(lease.keys, lease.units))
    }
    this.schedule()
  }

  /** Sends what waits after this turn of the event loop, unless a batch is in flight. */
  private schedule(): void {
    if (this.scheduled || this.inFlight !== null) return
    if (this.queued.size === 0 && this.releases.length === 0) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    const id = this.nextId++
    const groups = [...this.queued.values()]
    const records = this.releases
    for (const g of groups) records.push(encodeAcquire(g, g.waiters.length))
    this.queued = new Map()
    this.releases = []
    const timer = setTimeout(() => {
      if (this.inFlight?.id !== id) return
      this.inFlight = null
      const err = new Error('node-wide counters did not answer in time')
      for (const g of groups) for (const w of g.waiters) w.reject(err)
      this.schedule()
    }, TIMEOUT_MS)
    this.inFlight = { id, batch: { groups, timer } }
    this.send({ type: 'counters', id, ops: joinRecords(records) })
  }

  /** Handles a `counters-result` message. */
  answer(id: number, encoded: string, error?: string): void {
    if (this.inFlight?.id !== id) return
    const { groups, timer } = this.inFlight.batch
    this.inFlight = null
    clearTimeout(timer)
    const grants = error === undefined ? decodeGrants(encoded) : []
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]
      const grant = grants[i]
      if (grant === undefined) {
        const err = new Error(error ?? 'no counter result')
        for (const w of g.waiters) w.reject(err)
        continue
      }
      const previous = grant.previous
      if (!grant.allowed) {
        const refused: CounterResult = { allowed: false, usage: grant.usage }
        if (previous !== undefined) refused.previous = previous
        for (const w of g.waiters) w.resolve(refused)
        continue
      }
      const served = Math.min(grant.granted, g.waiters.length)
      for (let j = 0; j < served; j++) {
        const r: CounterResult = { allowed: true, usage: grant.usage.map((u) => u + j) }
        if (previous !== undefined) r.previous = previous
        g.waiters[j].resolve(r)
      }
      if (grant.granted > served) {
        // (a lease granted to an earlier batch on the same counters is given back whole)
        const old = this.leases.get(g.key)
        if (old !== undefined) this.releases.push(encodeRelease(old.keys, old.units))
        const lease: Lease = {
          keys: g.keys,
          units: grant.granted - served,
          next: grant.usage.map((u) => u + served),
          expiresAt: this.now() + LEASE_MS,
        }
        if (previous !== undefined) lease.previous = previous
        this.leases.set(g.key, lease)
      }
      // fewer units than takes were left: the others ask again (and are refused unless some
      // were given back meanwhile)
      if (served < g.waiters.length) {
        const rest = g.waiters.slice(served)
        const q = this.queued.get(g.key)
        if (q === undefined) this.queued.set(g.key, { ...g, waiters: rest })
        else q.waiters.unshift(...rest)
      }
    }
    this.schedule()
  }

  /** Handles a `counters-reclaim` message: gives back every unspent unit of `keys` at once. */
  reclaim(id: number, keys: string): void {
    for (const key of decodeKeys(keys)) {
      const lease = this.leases.get(key)
      if (lease === undefined) continue
      this.leases.delete(key)
      this.releases.push(encodeRelease(lease.keys, lease.units))
    }
    // releases waiting for the next batch go now too: the primary counts on them
    const records = this.releases
    this.releases = []
    this.send({ type: 'counters-released', id, ops: joinRecords(records) })
  }
}
