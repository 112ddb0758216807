// The node's error log. Kong's levels (debug … emerg) and nginx's line format, so existing log
// tooling keeps working: `2026/11/28 18:41:59 [notice] 1234#0: message`. The level can change at
// runtime (`/debug/node/log-level`). Secrets are never passed to the logger.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const RANK: Record<LogLevel, number> = {
  debug: 0,
  info: 1,
  notice: 2,
  warn: 3,
  error: 4,
  crit: 5,
  alert: 6,
  emerg: 7,
}

export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v)
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function timestamp(d: Date): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

function render(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? arg.message
  if (typeof arg === 'string') return arg
  try {
    return JSON.stringify(arg)
  } catch {
    return String(arg)
  }
}

export interface LoggerOptions {
  level: LogLevel
  /** File to append to; null for none. */
  file?: string | null
  /** Also write to stderr (foreground mode). */
  stderr?: boolean
  /** Worker number shown after the pid (`pid#worker`). */
  worker?: number
}

export class Logger {
  level: LogLevel
  private readonly stream: WriteStream | null
  private readonly stderr: boolean
  private readonly worker: number

  constructor(opts: LoggerOptions) {
    this.level = opts.level
    this.stderr = opts.stderr ?? false
    this.worker = opts.worker ?? 0
    if (opts.file) {
      mkdirSync(dirname(opts.file), { recursive: true })
      this.stream = createWriteStream(opts.file, { flags: 'a' })
      this.stream.on('error', () => undefined)
    } else this.stream = null
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level]
  }

  log(level: LogLevel, ...args: unknown[]): void {
    if (!this.enabled(level)) return
    const line = `${timestamp(new Date())} [${level}] ${process.pid}#${this.worker}: ${args.map(render).join('')}\n`
    this.stream?.write(line)
    if (this.stderr) process.stderr.write(line)
  }

  debug(...args: unknown[]): void {
    this.log('debug', ...args)
  }
  info(...args: unknown[]): void {
    this.log('info', ...args)
  }
  notice(...args: unknown[]): void {
    this.log('notice', ...args)
  }
  warn(...args: unknown[]): void {
    this.log('warn', ...args)
  }
  error(...args: unknown[]): void {
    this.log('error', ...args)
  }
  crit(...args: unknown[]): void {
    this.log('crit', ...args)
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.stream) resolve()
      else this.stream.end(() => resolve())
    })
  }
}

/** Appends one line per request to an access log file (Kong's combined-like format). */
export class AccessLog {
  private readonly stream: WriteStream | null

  constructor(file: string | null) {
    if (file) {
      mkdirSync(dirname(file), { recursive: true })
      this.stream = createWriteStream(file, { flags: 'a' })
      this.stream.on('error', () => undefined)
    } else this.stream = null
  }

  write(line: string): void {
    this.stream?.write(`${line}\n`)
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.stream) resolve()
      else this.stream.end(() => resolve())
    })
  }
}
