// Appending whole lines to a file from one worker, while other workers append to it too. The
// file is opened with O_APPEND (flags `a`, created with mode 0644): every write lands at the end
// of the file whatever the others wrote, and a write of whole lines is never mixed with another
// process's write (a regular file's appends are serialized by the kernel). Lines that arrive
// while a write is running are written together by the next one, so one worker keeps the order
// of its lines and never has more than one write in flight per file.
import { close, open, write } from 'node:fs'
import { backgroundLog, onExit } from '../shared/background.js'

/** Lines waiting for a slow disk beyond this are dropped (with an error line). */
const MAX_PENDING_BYTES = 64 * 1024 * 1024
/** A file not written to for this long is closed (opened again on the next line). */
const IDLE_CLOSE_MS = 60_000

const openFile = (path: string) =>
  new Promise<number>((resolve, reject) =>
    open(path, 'a', 0o644, (err, fd) => (err ? reject(err) : resolve(fd))),
  )
const closeFile = (fd: number) => new Promise<void>((resolve) => close(fd, () => resolve()))
const writeAll = async (fd: number, data: Buffer): Promise<void> => {
  let offset = 0
  while (offset < data.length) {
    offset += await new Promise<number>((resolve, reject) =>
      write(fd, data, offset, data.length - offset, null, (err, n) => (err ? reject(err) : resolve(n))),
    )
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  return e.code ? `${e.code}: ${e.message}` : String(err)
}

export class LineFile {
  private fd: number | null = null
  private pending: string[] = []
  private pendingBytes = 0
  private reopenNext = false
  private writing: Promise<void> | null = null
  lastUsed = Date.now()

  constructor(readonly path: string) {}

  /** Queues a line (with its `\n`); with `reopen`, the file is opened anew for this write. */
  append(line: string, reopen: boolean): void {
    this.lastUsed = Date.now()
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      backgroundLog('error', `[file-log] ${this.path}: writes are too slow, log entry dropped`)
      return
    }
    this.pending.push(line)
    this.pendingBytes += line.length
    if (reopen) this.reopenNext = true
    this.writing ??= this.drain().finally(() => {
      this.writing = null
    })
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const data = Buffer.from(this.pending.join(''))
      this.pending = []
      this.pendingBytes = 0
      const reopen = this.reopenNext
      this.reopenNext = false
      if (reopen && this.fd !== null) {
        await closeFile(this.fd)
        this.fd = null
      }
      try {
        this.fd ??= await openFile(this.path)
      } catch (err) {
        backgroundLog('error', `[file-log] failed to open the file: ${reason(err)}`)
        continue
      }
      try {
        await writeAll(this.fd, data)
      } catch (err) {
        backgroundLog('error', `[file-log] failed to write to ${this.path}: ${reason(err)}`)
      }
    }
  }

  /** Waits for the queued lines to be written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing
  }

  async close(): Promise<void> {
    await this.flush()
    if (this.fd !== null) {
      const fd = this.fd
      this.fd = null
      await closeFile(fd)
    }
  }
}

const files = new Map<string, LineFile>()
let sweeper: NodeJS.Timeout | null = null

/** The writer of `path` (one per path and process). */
export function lineFile(path: string): LineFile {
  let file = files.get(path)
  if (file === undefined) {
    file = new LineFile(path)
    files.set(path, file)
    sweeper ??= setInterval(sweep, IDLE_CLOSE_MS).unref()
  }
  return file
}

function sweep(): void {
  const limit = Date.now() - IDLE_CLOSE_MS
  for (const [path, file] of files) {
    if (file.lastUsed >= limit) continue
    files.delete(path)
    void file.close()
  }
  if (files.size === 0 && sweeper !== null) {
    clearInterval(sweeper)
    sweeper = null
  }
}

/** Writes what is queued for every file (tests, exit). */
export async function flushFiles(): Promise<void> {
  await Promise.all([...files.values()].map((f) => f.flush()))
}

onExit(flushFiles)
