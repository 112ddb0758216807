// Kong's plugin queue (kong.tools.queue, plugins.md §6.19), per worker: log entries wait in a
// bounded queue and are handed to the plugin's sender in batches, off the request path.
//
//   * A queue is named (http-log: by its log server parameters, so instances that log to the same
//     server share one; statsd: by plugin id). It is created on the first entry, processes while
//     it holds entries, and is removed once empty. The latest configuration seen for a name is the
//     one its sender receives; the queue parameters are those of the entry that created it.
//   * A batch is sent once `max_batch_size` entries are waiting, or `max_coalescing_delay`
//     seconds after its first entry arrived (less than 50 ms left: sent at once).
//   * A failed batch is retried after `initial_retry_delay` seconds, doubled for each retry up to
//     `max_retry_delay`, until `max_retry_time` seconds have passed since its first try; then it
//     is dropped, with an error line telling how many entries were lost.
//   * Full (`max_entries` entries, or `max_bytes` bytes of string entries): the oldest entries are
//     dropped to make room, with an error line.
//   * `concurrency_limit = -1`: no queue; every entry is sent on its own, at once, concurrently.
// When the worker exits, queues stop coalescing and are given the drain time to empty.
import type { LogLevel } from '../../log/logger.js'
import { backgroundLog, onExit } from './background.js'

export interface QueueParams {
  name: string
  /** `<plugin> plugin <id> (<instance name>)`, the prefix of the queue's log lines. */
  logTag: string
  max_batch_size: number
  /** Seconds. */
  max_coalescing_delay: number
  max_entries: number
  max_bytes: number | null
  /** Seconds. */
  max_retry_time: number
  /** Seconds. */
  initial_retry_delay: number
  /** Seconds. */
  max_retry_delay: number
  /** 1, or -1 for unlimited. */
  concurrency_limit: number
}

/** Sends one batch; a rejection (its message is logged) makes the queue retry the batch. */
export type BatchSender<C, E> = (conf: C, entries: E[]) => Promise<void>

const CAPACITY_WARNING_THRESHOLD = 0.8
/** Seconds: the longest single wait while coalescing (then the exit flag is looked at again). */
const COALESCE_POLL_TIME = 1
/** Seconds: with less coalescing time left than this, the batch is sent at once. */
const COALESCE_MIN_TIME = 0.05

const now = () => performance.now() / 1000

const queues = new Map<string, Queue<unknown, unknown>>()
/** Batches of `concurrency_limit = -1` queues being sent. */
const unqueued = new Set<Promise<void>>()
let exiting = false

class Queue<C, E> {
  private entries: E[] = []
  private front = 0
  private bytes = 0
  private warned = false
  private dropped = false
  private wake: (() => void) | null = null
  private coalescingDelay: number
  /** Resolves once the queue is empty and removed. */
  done: Promise<void> = Promise.resolve()

  constructor(
    readonly params: QueueParams,
    readonly sender: BatchSender<C, E>,
    public conf: C,
  ) {
    this.coalescingDelay = params.max_coalescing_delay
  }

  count(): number {
    return this.entries.length - this.front
  }

  log(level: LogLevel, message: string): void {
    backgroundLog(level, `[${this.params.logTag}] queue ${this.params.name}: ${message}`)
  }

  /** Starts processing (on the next turn of the event loop); removes the queue once empty. */
  start(): void {
    this.done = new Promise<void>((resolve) => {
      setImmediate(() => {
        void this.run().finally(resolve)
      })
    })
  }

  private async run(): Promise<void> {
    try {
      while (this.count() > 0) {
        this.log('debug', 'processing queue')
        await this.processOnce()
      }
      this.log('debug', 'done processing queue')
    } finally {
      if (queues.get(this.params.name) === (this as Queue<unknown, unknown>)) queues.delete(this.params.name)
    }
  }

  /** Wakes the coalescing wait (a new entry, or the worker exiting). */
  poke(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  private waitForEntry(seconds: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve()
      }, seconds * 1000)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private async processOnce(): Promise<void> {
    const started = now()
    const max = this.params.max_batch_size
    let n = 1
    while (n < max && this.coalescingDelay - (now() - started) >= COALESCE_MIN_TIME) {
      if (this.count() > n) {
        n = Math.min(this.count(), max)
        continue
      }
      let wait = Math.min(this.coalescingDelay - (now() - started), COALESCE_POLL_TIME)
      if (exiting) {
        // minimal coalescing while the worker exits: send what is there
        this.coalescingDelay = COALESCE_MIN_TIME
        wait = COALESCE_MIN_TIME
      }
      await this.waitForEntry(wait)
    }
    // entries dropped to make room may have been among those counted
    n = Math.min(n, this.count())
    if (n === 0) return
    const batch = this.entries.slice(this.front, this.front + n)
    for (let i = 0; i < n; i++) this.deleteFront()
    if (this.dropped) {
      this.log('info', 'queue resumed processing')
      this.dropped = false
    }
    await handle(this, batch)
  }

  private deleteFront(): void {
    const entry = this.entries[this.front]
    if (this.params.max_bytes !== null && typeof entry === 'string') this.bytes -= Buffer.byteLength(entry)
    this.entries[this.front] = undefined as E
    this.front++
    if (this.front === this.entries.length) {
      this.entries = []
      this.front = 0
    } else if (this.front > 1024 && this.front * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.front)
      this.front = 0
    }
  }

  /** Adds an entry; returns an error message when it cannot be queued. */
  enqueue(entry: E): string | null {
    const p = this.params
    if (this.count() >= p.max_entries * CAPACITY_WARNING_THRESHOLD) {
      if (!this.warned) {
        this.log('warn', `queue at ${CAPACITY_WARNING_THRESHOLD * 100}% capacity`)
        this.warned = true
      }
    } else this.warned = false
    if (this.count() >= p.max_entries) {
      this.log('error', 'queue full, dropping old entries until processing is successful again')
      this.deleteFront()
      this.dropped = true
    }
    const size = typeof entry === 'string' ? Buffer.byteLength(entry) : 0
    if (p.max_bytes !== null && typeof entry === 'string') {
      if (size > p.max_bytes) {
        const message = `string to be queued is longer (${size} bytes) than the queue's max_bytes (${p.max_bytes} bytes)`
        this.log('error', message)
        return message
      }
      if (size > p.max_bytes - this.bytes) {
        let dropped = 0
        while (size > p.max_bytes - this.bytes && this.count() > 0) {
          this.deleteFront()
          dropped++
        }
        this.dropped = true
        this.log('error', `byte capacity exceeded, ${dropped} queue entries were dropped`)
      }
    }
    if (p.max_bytes !== null) {
      if (typeof entry !== 'string')
        this.log(
          'error',
          'queuing non-string entry to a queue that has queue.max_bytes set, capacity monitoring will not be correct',
        )
      this.bytes += size
    }
    this.entries.push(entry)
    this.poke()
    return null
  }
}

/** Sends a batch, retrying with exponential back-off until max_retry_time. */
async function handle<C, E>(q: Queue<C, E>, batch: E[]): Promise<void> {
  const p = q.params
  const start = now()
  let retries = 0
  for (;;) {
    q.log('debug', `passing ${batch.length} entries to handler`)
    let err: string
    try {
      await q.sender(q.conf, batch)
      q.log('debug', `handler processed ${batch.length} entries successfully`)
      return
    } catch (e) {
      err = e instanceof Error ? e.message : String(e ?? '')
    }
    q.log('warn', `handler could not process entries: ${err || 'no error details returned by handler'}`)
    if (now() - start > p.max_retry_time) {
      q.log(
        'error',
        `could not send entries due to max_retry_time exceeded. ${batch.length} queue entries were lost`,
      )
      return
    }
    const delay = Math.min(p.max_retry_delay, 2 ** retries * p.initial_retry_delay)
    await new Promise((resolve) => setTimeout(resolve, delay * 1000))
    retries++
  }
}

/**
 * Queues `entry` for `sender` on the queue `params.name` (created when missing). Returns an
 * error message when the entry could not be queued.
 */
export function enqueue<C, E>(
  params: QueueParams,
  sender: BatchSender<C, E>,
  conf: C,
  entry: E,
): string | null {
  if (params.concurrency_limit === -1) {
    const q = new Queue(params, sender, conf)
    const sending: Promise<void> = handle(q, [entry]).finally(() => unqueued.delete(sending))
    unqueued.add(sending)
    return null
  }
  let q = queues.get(params.name) as Queue<C, E> | undefined
  if (q === undefined) {
    q = new Queue(params, sender, conf)
    queues.set(params.name, q as Queue<unknown, unknown>)
    q.log('debug', 'queue created')
    q.start()
  } else {
    q.log('debug', 'queue exists')
    q.conf = conf
  }
  return q.enqueue(entry)
}

/** Whether a queue of that name holds entries (tests). */
export function queueExists(name: string): boolean {
  return (queues.get(name)?.count() ?? 0) > 0
}

/** Resolves once every queue is empty and every unqueued batch is sent (tests, exit). */
export async function drained(): Promise<void> {
  while (queues.size > 0 || unqueued.size > 0) {
    await Promise.all([...[...queues.values()].map((q) => q.done), ...unqueued])
  }
}

onExit(async () => {
  exiting = true
  for (const q of queues.values()) q.poke()
  await drained()
})
