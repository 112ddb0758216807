// Request phases (plugins.md §3.2) as bits, so a PDK function's allowed phases are one mask and
// the check is one AND. Calling a function outside its phases is a programming error: it throws
// PdkPhaseError, which the plugin runner treats like any exception in a handler.

export const Phase = {
  rewrite: 1,
  access: 2,
  response: 4,
  headerFilter: 8,
  bodyFilter: 16,
  log: 32,
  /** Between phases (plugin code is not running): nothing is allowed. */
  none: 0,
} as const

export type PhaseBit = (typeof Phase)[keyof typeof Phase]

export const PHASE_NAMES: Readonly<Record<number, string>> = {
  [Phase.rewrite]: 'rewrite',
  [Phase.access]: 'access',
  [Phase.response]: 'response',
  [Phase.headerFilter]: 'header_filter',
  [Phase.bodyFilter]: 'body_filter',
  [Phase.log]: 'log',
  [Phase.none]: 'none',
}

/** Masks of the phase groups used by the PDK tables (R, A, RS, HF, BF, L). */
export const P = {
  R: Phase.rewrite,
  A: Phase.access,
  RS: Phase.response,
  HF: Phase.headerFilter,
  BF: Phase.bodyFilter,
  L: Phase.log,
  ALL: Phase.rewrite | Phase.access | Phase.response | Phase.headerFilter | Phase.bodyFilter | Phase.log,
  /** After routing: access and later. */
  AFTER_ACCESS: Phase.access | Phase.response | Phase.headerFilter | Phase.bodyFilter | Phase.log,
  /** Where the response exists. */
  RESPONSE: Phase.response | Phase.headerFilter | Phase.bodyFilter | Phase.log,
  /** Before the response is sent: what may still change it. */
  BEFORE_SEND: Phase.rewrite | Phase.access | Phase.response | Phase.headerFilter,
} as const

export class PdkPhaseError extends Error {
  constructor(fn: string, phase: number) {
    super(`function ${fn} may not be called in ${PHASE_NAMES[phase] ?? 'this'} phase`)
    this.name = 'PdkPhaseError'
  }
}

/** Throws when `phase` is not in `allowed`. */
export function checkPhase(phase: number, allowed: number, fn: string): void {
  if ((phase & allowed) === 0) throw new PdkPhaseError(fn, phase)
}
