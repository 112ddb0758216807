// What plugins do outside of a request (queues sending log batches, files being appended to):
// where their log lines go, and the work a worker finishes before it exits. A proxy worker sets
// the logger at start and runs the flushes when it drains; elsewhere (unit tests, the CLI) lines
// are dropped and nothing needs flushing.
import type { LogLevel } from '../../log/logger.js'

type LineLogger = (level: LogLevel, message: string) => void

let logger: LineLogger = () => undefined

/** Where background log lines go (the worker's error log). */
export function setBackgroundLogger(fn: LineLogger): void {
  logger = fn
}

/** Logs a line from background work (no request context). */
export function backgroundLog(level: LogLevel, message: string): void {
  logger(level, message)
}

type Flush = (deadline: number) => Promise<void>

const flushes = new Set<Flush>()

/** Registers work to finish before the process exits; returns the function that unregisters it. */
export function onExit(flush: Flush): () => void {
  flushes.add(flush)
  return () => flushes.delete(flush)
}

/**
 * Runs every registered flush, each given the same deadline (ms since the epoch); resolves once
 * all are done or the deadline passed, whichever comes first.
 */
export async function flushBackground(timeoutMs: number): Promise<void> {
  if (flushes.size === 0) return
  const deadline = Date.now() + timeoutMs
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
  })
  const all = Promise.all(
    [...flushes].map((f) =>
      f(deadline).catch((err: unknown) => backgroundLog('error', `flush before exit failed: ${String(err)}`)),
    ),
  )
  await Promise.race([all, expired])
  clearTimeout(timer)
}
