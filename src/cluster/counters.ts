// Node-wide counters (kong.counters): the primary process holds them, so every worker of the node
// counts against the same numbers, and they survive worker restarts and `reload` (as Kong's
// shared dictionaries do). Each operation is atomic: either every counter it names has room and
// all are incremented, or nothing changes.
//
// Leases. Asking the primary for every request costs two IPC messages, which is most of a
// rate-limited request's price. So a worker may be granted more units than it asked for: the
// surplus is a lease it spends locally, without messages. Exactness is kept by three rules:
// - the surplus is small next to what is left: at most `room / (SHARE × workers)`, so near a
//   limit every unit granted is a unit a request is waiting for;
// - a worker gives back what it has not spent after LEASE_MS (`release`);
// - before refusing, the primary reclaims the unspent units of every other worker holding a
//   lease on the same counters and tries again, so a request is refused only when the units
//   really are spent.

export interface CounterOp {
  keys: readonly string[]
  limits: readonly number[]
  /** Seconds each counter lives after its creation. */
  ttls: readonly number[]
  /**
   * Sliding windows: the counter of each key's previous window, and the weight it still has
   * (0 to 1). A key's usage is then its own value plus `weightedCount(previous, weight)`.
   */
  previous?: PreviousWindows
}

export interface PreviousWindows {
  keys: readonly string[]
  weights: readonly number[]
}

export interface CounterResult {
  allowed: boolean
  /** The usage of each counter before this operation (with sliding windows: the estimate). */
  usage: number[]
  /** Sliding windows: the value of each previous window's counter. */
  previous?: number[]
}

/**
 * The part of a previous window's count a sliding window still covers: `count × weight`, rounded
 * up (a difference below 1e-9 is floating-point noise). Every rate-limiting policy rounds this way.
 */
export function weightedCount(count: number, weight: number): number {
  if (count <= 0 || weight <= 0) return 0
  return Math.ceil(count * weight - 1e-9)
}

/** The answer to an acquisition of `want` units. */
export interface Grant extends CounterResult {
  /** Units counted for the worker (0 when refused): `want` or fewer, or more (a lease). */
  granted: number
}

/** How long a worker may keep unspent units (ms). */
export const LEASE_MS = 3000
/** How long the primary counts a worker as a holder after a grant with surplus (ms). */
const HOLD_MS = LEASE_MS + 1000
/** The largest surplus granted at once. */
const MAX_SURPLUS = 1000
/** A worker's surplus is at most the room left divided by SHARE × the number of workers. */
const SHARE = 4

interface Counter {
  value: number
  expiresAt: number
}

/** The identity of an operation's counters (keys hold no control characters, see below). */
export const opKey = (keys: readonly string[]): string => (keys.length === 1 ? keys[0] : keys.join(FIELD))

/** `r` with the previous windows' values when there are some (no `previous: undefined` key). */
function withPrevious<R extends CounterResult>(r: R, previous: number[] | undefined): R {
  if (previous !== undefined) r.previous = previous
  return r
}

export class CounterTable {
  private readonly counters = new Map<string, Counter>()
  /** opKey → worker → until when it may hold unspent units of a grant. */
  private readonly holders = new Map<string, Map<number, number>>()
  private lastSweep: number

  constructor(private readonly now: () => number = Date.now) {
    this.lastSweep = now()
  }

  /** One unit, no lease. */
  take(op: CounterOp): CounterResult {
    const { allowed, usage, previous } = this.acquire(op, 1, 0, -1)
    return withPrevious({ allowed, usage }, previous)
  }

  /**
   * Counts `want` units (fewer if less room is left) for worker `holder` of `workers`, plus a
   * surplus lease when there is plenty of room (`workers` = 0: never).
   */
  acquire(op: CounterOp, want: number, workers: number, holder: number): Grant {
    const now = this.now()
    if (now - this.lastSweep > 10_000) this.sweep(now)
    const usage = new Array<number>(op.keys.length)
    const prev = op.previous
    const previous = prev === undefined ? undefined : new Array<number>(op.keys.length)
    let room = Number.POSITIVE_INFINITY
    for (let i = 0; i < op.keys.length; i++) {
      usage[i] = this.value(op.keys[i], now)
      if (previous !== undefined && prev !== undefined) {
        previous[i] = this.value(prev.keys[i], now)
        usage[i] += weightedCount(previous[i], prev.weights[i])
      }
      // Kong's rule: a request is admitted while limit - usage > 0 (so 3 with a limit of 2.5)
      room = Math.min(room, Math.ceil(op.limits[i] - usage[i]))
    }
    if (!(room >= 1)) return withPrevious({ allowed: false, usage, granted: 0 }, previous)
    const surplus = workers > 0 ? Math.min(MAX_SURPLUS, Math.floor(room / (SHARE * workers))) : 0
    const granted = Math.floor(Math.min(room, Math.max(want, surplus)))
    for (let i = 0; i < op.keys.length; i++) {
      const key = op.keys[i]
      const c = this.counters.get(key)
      if (c !== undefined && c.expiresAt > now) c.value += granted
      else this.counters.set(key, { value: granted, expiresAt: now + op.ttls[i] * 1000 })
    }
    if (granted > want && holder >= 0) {
      const k = opKey(op.keys)
      const hs = this.holders.get(k) ?? new Map<number, number>()
      this.holders.set(k, hs)
      hs.set(holder, now + HOLD_MS)
    }
    return withPrevious({ allowed: true, usage, granted }, previous)
  }

  private value(key: string, now: number): number {
    const c = this.counters.get(key)
    return c !== undefined && c.expiresAt > now ? c.value : 0
  }

  /** Gives back `units` unspent units of each counter. */
  release(keys: readonly string[], units: number): void {
    const now = this.now()
    for (const key of keys) {
      const c = this.counters.get(key)
      if (c !== undefined && c.expiresAt > now) c.value = Math.max(0, c.value - units)
    }
  }

  /** The workers other than `except` that may hold unspent units of these counters. */
  holdersOf(key: string, except: number): number[] {
    const hs = this.holders.get(key)
    if (hs === undefined) return []
    const now = this.now()
    const out: number[] = []
    for (const [w, until] of hs) if (w !== except && until > now) out.push(w)
    return out
  }

  /** `worker` holds nothing of `key` any more (or of anything, without `key`). */
  forget(worker: number, key?: string): void {
    if (key !== undefined) {
      const hs = this.holders.get(key)
      hs?.delete(worker)
      if (hs?.size === 0) this.holders.delete(key)
      return
    }
    for (const [k, hs] of this.holders) {
      hs.delete(worker)
      if (hs.size === 0) this.holders.delete(k)
    }
  }

  /** Drops expired counters and holders. */
  sweep(now = this.now()): void {
    this.lastSweep = now
    for (const [key, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(key)
    for (const [key, hs] of this.holders) {
      for (const [w, until] of hs) if (until <= now) hs.delete(w)
      if (hs.size === 0) this.holders.delete(key)
    }
  }

  get size(): number {
    return this.counters.size
  }
}

// Wire format (one string each way: much cheaper to send over IPC than arrays of objects).
// Records are separated by U+001E, fields by U+001F:
//   acquire: `a`, want, n, then n limits, n ttls and n keys
//   sliding acquire: `s`, the same, then n previous keys and n weights
//   release: `r`, units, then the keys
// Keys hold no control characters (they are built from ids, header values and paths, which
// cannot carry them).
const FIELD = '\u001f'
const RECORD = '\u001e'

export interface Acquire {
  op: CounterOp
  want: number
}

export interface Release {
  keys: string[]
  units: number
}

export function encodeAcquire(op: CounterOp, want: number): string {
  const n = op.keys.length
  const prev = op.previous
  const tag = prev === undefined ? 'a' : 's'
  const record = `${tag}${FIELD}${want}${FIELD}${n}${FIELD}${op.limits.join(FIELD)}${FIELD}${op.ttls.join(FIELD)}${FIELD}${op.keys.join(FIELD)}`
  if (prev === undefined) return record
  return `${record}${FIELD}${prev.keys.join(FIELD)}${FIELD}${prev.weights.join(FIELD)}`
}

export function encodeRelease(keys: readonly string[], units: number): string {
  return `r${FIELD}${units}${FIELD}${keys.join(FIELD)}`
}

/** Joins encoded records into a batch. */
export const joinRecords = (records: readonly string[]): string => records.join(RECORD)

export function decodeBatch(batch: string): { acquires: Acquire[]; releases: Release[] } {
  const acquires: Acquire[] = []
  const releases: Release[] = []
  if (batch === '') return { acquires, releases }
  for (const record of batch.split(RECORD)) {
    const f = record.split(FIELD)
    if (f[0] === 'r') {
      releases.push({ units: Number(f[1]), keys: f.slice(2) })
      continue
    }
    const n = Number(f[2])
    const op: CounterOp = {
      limits: f.slice(3, 3 + n).map(Number),
      ttls: f.slice(3 + n, 3 + 2 * n).map(Number),
      keys: f.slice(3 + 2 * n, 3 + 3 * n),
    }
    if (f[0] === 's')
      op.previous = {
        keys: f.slice(3 + 3 * n, 3 + 4 * n),
        weights: f.slice(3 + 4 * n, 3 + 5 * n).map(Number),
      }
    acquires.push({ want: Number(f[1]), op })
  }
  return { acquires, releases }
}

/**
 * Results as `allowed,granted,usage1,usage2…` per acquisition (followed by `|previous1,previous2…`
 * for sliding windows), `;`-separated.
 */
export function encodeGrants(grants: readonly Grant[]): string {
  return grants
    .map((g) => {
      const r = `${g.allowed ? 1 : 0},${g.granted},${g.usage.join(',')}`
      return g.previous === undefined ? r : `${r}|${g.previous.join(',')}`
    })
    .join(';')
}

export function decodeGrants(encoded: string): Grant[] {
  if (encoded === '') return []
  return encoded.split(';').map((r) => {
    const bar = r.indexOf('|')
    const f = (bar === -1 ? r : r.slice(0, bar)).split(',')
    const g: Grant = { allowed: f[0] === '1', granted: Number(f[1]), usage: f.slice(2).map(Number) }
    if (bar !== -1)
      g.previous = r
        .slice(bar + 1)
        .split(',')
        .map(Number)
    return g
  })
}

/** opKeys of a reclaim message. */
export const encodeKeys = (keys: readonly string[]): string => keys.join(RECORD)
export const decodeKeys = (encoded: string): string[] => (encoded === '' ? [] : encoded.split(RECORD))

/** How long the primary waits for the workers to give back reclaimed units (ms). */
const RECLAIM_TIMEOUT_MS = 200

interface Reclaim {
  worker: number
  done: () => void
}

/**
 * The primary's side: runs the workers' batches against one table, and reclaims leases before
 * refusing (see the top of this file).
 */
export class NodeCounters {
  private nextId = 1
  private readonly reclaims = new Map<number, Reclaim>()

  constructor(
    readonly table: CounterTable,
    /** Asks `worker` to give back its unspent units of `keys`; false when it cannot be asked. */
    private readonly reclaim: (worker: number, id: number, keys: string[]) => boolean,
    /** The number of workers sharing the counters. */
    private readonly workers: () => number,
  ) {}

  /** Runs a worker's batch; `reply` gets the encoded grants, at once or after reclaims. */
  batch(worker: number, encoded: string, reply: (grants: string) => void): void {
    const { acquires, releases } = decodeBatch(encoded)
    for (const r of releases) this.table.release(r.keys, r.units)
    const spread = this.workers()
    const grants = acquires.map((a) => this.table.acquire(a.op, a.want, spread, worker))
    // refusals that another worker's lease might be standing in the way of
    const retry: number[] = []
    const asked = new Map<number, string[]>()
    for (let i = 0; i < grants.length; i++) {
      if (grants[i].allowed) continue
      const key = opKey(acquires[i].op.keys)
      const holders = this.table.holdersOf(key, worker)
      if (holders.length === 0) continue
      retry.push(i)
      for (const h of holders) {
        this.table.forget(h, key)
        const keys = asked.get(h)
        if (keys === undefined) asked.set(h, [key])
        else if (!keys.includes(key)) keys.push(key)
      }
    }
    if (retry.length === 0) {
      reply(encodeGrants(grants))
      return
    }
    // one count for each worker asked, plus one until all have been asked
    let waiting = 1
    let over = false
    const ids: number[] = []
    const finish = () => {
      over = true
      for (const i of retry) grants[i] = this.table.acquire(acquires[i].op, acquires[i].want, spread, worker)
      reply(encodeGrants(grants))
    }
    const timer = setTimeout(() => {
      if (over) return
      for (const id of ids) this.reclaims.delete(id)
      finish()
    }, RECLAIM_TIMEOUT_MS)
    const done = () => {
      if (over || --waiting > 0) return
      clearTimeout(timer)
      finish()
    }
    for (const [h, keys] of asked) {
      const id = this.nextId++
      waiting++
      ids.push(id)
      this.reclaims.set(id, { worker: h, done })
      if (!this.reclaim(h, id, keys)) this.answered(id)
    }
    done()
  }

  /** A worker gave back reclaimed units (`encoded`: release records). */
  released(id: number, encoded: string): void {
    for (const r of decodeBatch(encoded).releases) this.table.release(r.keys, r.units)
    this.answered(id)
  }

  /** A worker is gone: its leases are lost (counted as spent), nobody waits for it. */
  forget(worker: number): void {
    this.table.forget(worker)
    for (const [id, r] of this.reclaims) if (r.worker === worker) this.answered(id)
  }

  private answered(id: number): void {
    const r = this.reclaims.get(id)
    if (r === undefined) return
    this.reclaims.delete(id)
    r.done()
  }
}
