// A worker's side of the node-wide counters (kong.counters): operations go to the primary as one
// `counters` message, answered by one `counters-result`. One batch is in flight at a time: the
// operations issued meanwhile wait for its answer and leave together as the next batch, so a
// quiet worker sends each operation at once and a busy one sends few, large messages (an IPC
// message costs ~100 µs of CPU on each side on a small VM, whatever its size). Unanswered batches fail after a timeout (the plugin then decides, e.g.
// rate-limiting's fault_tolerant), never hang a request.
import { type CounterOp, type CounterResult, decodeResults, encodeOps } from '../../cluster/counters.js'
import type { WorkerMessage } from '../../cluster/messages.js'
import type { KongCounters } from '../../pdk/types.js'

const TIMEOUT_MS = 5000

interface Waiter {
  resolve: (r: CounterResult) => void
  reject: (err: Error) => void
}

interface Batch {
  waiters: Waiter[]
  timer: NodeJS.Timeout
}

export class IpcCounters implements KongCounters {
  private nextId = 1
  private ops: CounterOp[] = []
  private waiters: Waiter[] = []
  private scheduled = false
  private readonly batches = new Map<number, Batch>()

  constructor(private readonly send: (m: WorkerMessage) => void) {}

  take(keys: string[], limits: number[], ttls: number[]): Promise<CounterResult> {
    return new Promise<CounterResult>((resolve, reject) => {
      this.ops.push({ keys, limits, ttls })
      this.waiters.push({ resolve, reject })
      this.schedule()
    })
  }

  /** Sends the waiting operations after this turn of the event loop, unless a batch is in flight. */
  private schedule(): void {
    if (this.scheduled || this.batches.size > 0 || this.ops.length === 0) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    const id = this.nextId++
    const waiters = this.waiters
    const ops = this.ops
    this.ops = []
    this.waiters = []
    const timer = setTimeout(() => {
      this.batches.delete(id)
      for (const w of waiters) w.reject(new Error('node-wide counters did not answer in time'))
      this.schedule()
    }, TIMEOUT_MS)
    this.batches.set(id, { waiters, timer })
    this.send({ type: 'counters', id, ops: encodeOps(ops) })
  }

  /** Handles a `counters-result` message. */
  answer(id: number, encoded: string, error?: string): void {
    const batch = this.batches.get(id)
    if (!batch) return
    this.batches.delete(id)
    clearTimeout(batch.timer)
    const results = error === undefined ? decodeResults(encoded) : []
    batch.waiters.forEach((w, i) => {
      const r = results[i]
      if (error !== undefined || r === undefined) w.reject(new Error(error ?? 'no counter result'))
      else w.resolve(r)
    })
    this.schedule()
  }
}
