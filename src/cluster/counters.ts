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
