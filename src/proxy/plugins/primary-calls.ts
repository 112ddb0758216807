// kong.primary in a worker: a plugin's request for one of its own functions to run in the
// primary process (which holds the store), sent as a `plugin-call` message and answered by
// `plugin-call-result`. A call that gets no answer within its timeout fails, so a request never
// waits forever on the primary.
import type { WorkerMessage } from '../../cluster/messages.js'

/** What a worker gives the PDK: calls addressed by plugin name. */
export interface PrimaryCalls {
  call(plugin: string, method: string, args: unknown, timeoutMs: number): Promise<unknown>
}

interface Waiting {
  resolve: (result: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export class IpcPrimaryCalls implements PrimaryCalls {
  private seq = 0
  private readonly waiting = new Map<number, Waiting>()

  constructor(private readonly send: (m: WorkerMessage) => void) {}

  call(plugin: string, method: string, args: unknown, timeoutMs: number): Promise<unknown> {
    const id = ++this.seq
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new Error(`the primary process did not answer ${plugin}.${method} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.set(id, { resolve, reject, timer })
      this.send({ type: 'plugin-call', id, plugin, method, args })
    })
  }

  /** Settles the call a `plugin-call-result` answers (late answers are dropped). */
  answer(id: number, result: unknown, error?: string): void {
    const w = this.waiting.get(id)
    if (w === undefined) return
    this.waiting.delete(id)
    clearTimeout(w.timer)
    if (error !== undefined) w.reject(new Error(error))
    else w.resolve(result)
  }
}
