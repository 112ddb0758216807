// A worker's calls to plugin functions in the primary process (kong.primary): a `plugin-call`
// message, answered by `plugin-call-result`. Each call fails after its timeout if unanswered: a
// request never hangs on the primary.
import type { WorkerMessage } from '../../cluster/messages.js'

/** What a worker offers the PDK: calls by plugin name. */
export interface PrimaryCalls {
  call(plugin: string, method: string, args: unknown, timeoutMs: number): Promise<unknown>
}

interface Pending {
  resolve: (result: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export class IpcPrimaryCalls implements PrimaryCalls {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly send: (m: WorkerMessage) => void) {}

  call(plugin: string, method: string, args: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${plugin}.${method} in the primary process did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.send({ type: 'plugin-call', id, plugin, method, args })
    })
  }

  /** Handles a `plugin-call-result` message. */
  answer(id: number, result: unknown, error?: string): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    clearTimeout(p.timer)
    if (error !== undefined) p.reject(new Error(error))
    else p.resolve(result)
  }
}
