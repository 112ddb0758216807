// Node-wide counters (kong.counters): the primary process holds them, so every worker of the node
// counts against the same numbers, and they survive worker restarts and `reload` (as Kong's
// shared dictionaries do). Workers send batches of `take` operations; each operation is atomic:
// either every counter it names is below its limit and all are incremented, or nothing changes.

export interface CounterOp {
  keys: string[]
  limits: number[]
  /** Seconds each counter lives after its creation. */
  ttls: number[]
}

export interface CounterResult {
  allowed: boolean
  /** The usage of each counter before this operation. */
  usage: number[]
}

interface Counter {
  value: number
  expiresAt: number
}

export class CounterTable {
  private readonly counters = new Map<string, Counter>()
  private lastSweep: number

  constructor(private readonly now: () => number = Date.now) {
    this.lastSweep = now()
  }

  take(op: CounterOp): CounterResult {
    const now = this.now()
    if (now - this.lastSweep > 10_000) this.sweep(now)
    const usage = new Array<number>(op.keys.length)
    let allowed = true
    for (let i = 0; i < op.keys.length; i++) {
      const c = this.counters.get(op.keys[i])
      usage[i] = c !== undefined && c.expiresAt > now ? c.value : 0
      if (usage[i] >= op.limits[i]) allowed = false
    }
    if (allowed) {
      for (let i = 0; i < op.keys.length; i++) {
        const key = op.keys[i]
        const c = this.counters.get(key)
        if (c !== undefined && c.expiresAt > now) c.value++
        else this.counters.set(key, { value: 1, expiresAt: now + op.ttls[i] * 1000 })
      }
    }
    return { allowed, usage }
  }

  /** Drops expired counters. */
  sweep(now = this.now()): void {
    this.lastSweep = now
    for (const [key, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(key)
  }

  get size(): number {
    return this.counters.size
  }
}

// Wire format of a batch (one string each way: much cheaper to send over IPC than arrays of
// objects). An operation is its count n, then n limits, n ttls and n keys, separated by U+001F;
// operations are separated by U+001E. Keys hold no control characters (they are built from ids,
// header values and paths, which cannot carry them).
const FIELD = '\u001f'
const RECORD = '\u001e'

export function encodeOps(ops: readonly CounterOp[]): string {
  let out = ''
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]
    if (i > 0) out += RECORD
    out += `${op.keys.length}${FIELD}${op.limits.join(FIELD)}${FIELD}${op.ttls.join(FIELD)}${FIELD}${op.keys.join(FIELD)}`
  }
  return out
}

export function decodeOps(batch: string): CounterOp[] {
  if (batch === '') return []
  return batch.split(RECORD).map((record) => {
    const f = record.split(FIELD)
    const n = Number(f[0])
    return {
      limits: f.slice(1, 1 + n).map(Number),
      ttls: f.slice(1 + n, 1 + 2 * n).map(Number),
      keys: f.slice(1 + 2 * n, 1 + 3 * n),
    }
  })
}

/** Results as `allowed,usage1,usage2…` per operation, `;`-separated. */
export function encodeResults(results: readonly CounterResult[]): string {
  return results.map((r) => `${r.allowed ? 1 : 0},${r.usage.join(',')}`).join(';')
}

export function decodeResults(encoded: string): CounterResult[] {
  if (encoded === '') return []
  return encoded.split(';').map((r) => {
    const f = r.split(',')
    return { allowed: f[0] === '1', usage: f.slice(1).map(Number) }
  })
}

/** Runs an encoded batch and answers the encoded results. */
export function takeBatch(table: CounterTable, batch: string): string {
  return encodeResults(decodeOps(batch).map((op) => table.take(op)))
}
