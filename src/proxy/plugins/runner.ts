// Runs plugin phases for one request (plugins.md §3). Handlers run in the chain's order; a
// handler that returns a promise suspends the loop until it settles, a synchronous one costs a
// plain call. The instances resolved in access are recorded and reused by the later phases,
// even when access ended early with an exit. An exception in rewrite/access ends the request
// with a 500 (the remaining plugins still get their later phases); elsewhere it is logged.

import type { PluginInstance } from '../../pdk/instance.js'
import { kongFor } from '../../pdk/kong.js'
import { pluginLog } from '../../pdk/log.js'
import { Phase } from '../../pdk/phase.js'
import { applyPending, errorResponse } from '../../pdk/response.js'
import type { RequestState } from '../../pdk/state.js'
import { type Chain, resolve } from './index.js'

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

/** A handler threw: log it; in rewrite/access the request ends with a 500. */
export function handlerFailed(s: RequestState, err: unknown): void {
  pluginLog(s, 'error', [
    `error running ${phaseName(s.phase)} handler: `,
    err instanceof Error ? (err.stack ?? err.message) : String(err),
  ])
  // Until the response head is written, a failure replaces the response (plugins.md §3.4).
  if (
    (s.phase === Phase.access ||
      s.phase === Phase.rewrite ||
      s.phase === Phase.response ||
      s.phase === Phase.headerFilter) &&
    s.exit === null
  ) {
    s.exit = errorResponse(s, 500, 'An unexpected error occurred')
    s.source = 'error'
  }
}

function phaseName(phase: number): string {
  switch (phase) {
    case Phase.rewrite:
      return 'rewrite'
    case Phase.access:
      return 'access'
    case Phase.response:
      return 'response'
    case Phase.headerFilter:
      return 'header_filter'
    case Phase.bodyFilter:
      return 'body_filter'
    default:
      return 'log'
  }
}

type Done = () => void

/**
 * Calls one handler in `phase`. Returns false when it finished synchronously (or threw); true
 * when it returned a promise, in which case `resume` runs once that promise settles.
 */
function invoke(
  s: RequestState,
  inst: PluginInstance,
  phase: number,
  call: () => unknown,
  resume: Done,
): boolean {
  s.phase = phase
  s.current = inst
  let r: unknown
  try {
    r = call()
  } catch (err) {
    handlerFailed(s, err)
    return false
  }
  if (!isThenable(r)) return false
  r.then(resume, (err: unknown) => {
    s.phase = phase
    s.current = inst
    handlerFailed(s, err)
    resume()
  })
  return true
}

function finish(s: RequestState, done: Done): void {
  s.phase = Phase.none
  s.current = null
  done()
}

/** Rewrite: global instances only (the route is not known yet). Stops at the first exit. */
export function runRewrite(s: RequestState, list: readonly PluginInstance[], done: Done, i = 0): void {
  const kong = kongFor(s)
  for (; i < list.length && s.exit === null; i++) {
    const inst = list[i]
    const next = i + 1
    if (
      invoke(
        s,
        inst,
        Phase.rewrite,
        () => inst.plugin.handler.rewrite!(inst.conf, kong),
        () => runRewrite(s, list, done, next),
      )
    )
      return
  }
  finish(s, done)
}

/**
 * Access: visits the chain in order, resolving each type's instance with the consumer known so
 * far (an authentication plugin that ran earlier may have set it). After an exit the remaining
 * instances are still resolved and recorded, but their access handlers do not run.
 */
export function runAccess(s: RequestState, chain: Chain, done: Done, i = 0): void {
  const kong = kongFor(s)
  for (; i < chain.length; i++) {
    const consumerId = (s.consumer?.id as string | undefined) ?? null
    const inst = resolve(chain[i], consumerId)
    if (inst === null) continue
    s.recorded.push(inst)
    const access = inst.plugin.handler.access
    if (s.exit !== null || access === undefined) continue
    const next = i + 1
    if (
      invoke(
        s,
        inst,
        Phase.access,
        () => access(inst.conf, kong),
        () => runAccess(s, chain, done, next),
      )
    )
      return
  }
  finish(s, done)
}

/** Records the instances of a chain without running anything (requests that never reach access). */
export function recordGlobal(s: RequestState, chain: Chain | null): void {
  if (chain === null) return
  for (const entry of chain) if (entry.base) s.recorded.push(entry.base)
}

/** Whether any recorded instance has this phase (after access). */
export function hasPhase(
  s: RequestState,
  phase: 'response' | 'headerFilter' | 'bodyFilter' | 'log',
): boolean {
  for (const inst of s.recorded) if (inst.plugin.handler[phase] !== undefined) return true
  return false
}

/** Response phase (buffered proxying): the whole upstream response is in `s`. Async handlers allowed. */
export function runResponse(s: RequestState, done: Done, i = 0): void {
  const kong = kongFor(s)
  const list = s.recorded
  for (; i < list.length; i++) {
    const inst = list[i]
    const fn = inst.plugin.handler.response
    if (fn === undefined || s.exit !== null) continue
    const next = i + 1
    if (
      invoke(
        s,
        inst,
        Phase.response,
        () => fn(inst.conf, kong),
        () => runResponse(s, done, next),
      )
    )
      return
  }
  finish(s, done)
}

/**
 * header_filter: `s.status` and `s.headers` hold the response about to be sent; handlers change
 * them in place. Changes recorded in rewrite/access are applied first.
 */
export function runHeaderFilter(s: RequestState): void {
  applyPending(s, s.headers!)
  if (s.pendingStatus !== null && s.source === 'service') s.status = s.pendingStatus
  const kong = kongFor(s)
  for (const inst of s.recorded) {
    const fn = inst.plugin.handler.headerFilter
    if (fn === undefined) continue
    s.phase = Phase.headerFilter
    s.current = inst
    try {
      const r: unknown = fn(inst.conf, kong)
      if (isThenable(r)) throw new Error('header_filter handlers must be synchronous')
    } catch (err) {
      handlerFailed(s, err)
    }
  }
  s.phase = Phase.none
  s.current = null
}

/** body_filter: filters one chunk (or the end, `eof`); returns what to send (null: nothing). */
export function runBodyFilter(s: RequestState, chunk: Buffer | null, eof: boolean): Buffer | null {
  s.chunk = chunk
  s.eof = eof
  const kong = kongFor(s)
  for (const inst of s.recorded) {
    const fn = inst.plugin.handler.bodyFilter
    if (fn === undefined) continue
    s.phase = Phase.bodyFilter
    s.current = inst
    try {
      const r: unknown = fn(inst.conf, kong)
      if (isThenable(r)) throw new Error('body_filter handlers must be synchronous')
    } catch (err) {
      handlerFailed(s, err)
    }
  }
  s.phase = Phase.none
  s.current = null
  return s.chunk
}

/**
 * Log phase: after the response was sent, off the request's latency path. Synchronous handlers
 * run in one go; an async one suspends the loop until it settles.
 */
export function runLog(s: RequestState, done: Done = noop, i = 0): void {
  const kong = kongFor(s)
  const list = s.recorded
  for (; i < list.length; i++) {
    const inst = list[i]
    const fn = inst.plugin.handler.log
    if (fn === undefined) continue
    const next = i + 1
    if (
      invoke(
        s,
        inst,
        Phase.log,
        () => fn(inst.conf, kong),
        () => runLog(s, done, next),
      )
    )
      return
  }
  finish(s, done)
}

function noop(): void {}
