// The three id generators of correlation-id (plugins.md §6.16).
import { randomUUID } from 'node:crypto'
import type { Kong } from '../../pdk/types.js'

export type Generator = (kong: Kong) => string

/** One UUID per worker process, and its counter (Kong: per nginx worker, made in init_worker). */
let workerUuid: string | null = null
let workerCounter = 0

/** `<worker uuid>#<n>`, n counting from 1 in this worker. */
export function uuidCounter(): string {
  workerUuid ??= randomUUID()
  workerCounter++
  return `${workerUuid}#${workerCounter}`
}

export function uuid(): string {
  return randomUUID()
}

/** `<server_addr>-<server_port>-<pid>-<connection serial>-<requests on connection>-<epoch s.ms>`. */
export function tracker(kong: Kong): string {
  const v = kong.nginx
  return `${v.getVar('server_addr') ?? ''}-${v.getVar('server_port') ?? ''}-${process.pid}-${
    v.getVar('connection') ?? ''
  }-${v.getVar('connection_requests') ?? ''}-${(Date.now() / 1000).toFixed(3)}`
}

export function generatorFor(name: string): Generator {
  if (name === 'uuid') return uuid
  if (name === 'tracker') return tracker
  return uuidCounter
}
