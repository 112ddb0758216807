// Shared state of the validation passes.
import type { RawConf } from './sources.js'

export interface ValidationContext {
  /** Base of relative file paths given in values (certificates, declarative_config...). */
  cwd: string
  errors: string[]
  warnings: string[]
  /** The merged raw values, to know which settings were explicit. */
  raw: RawConf
}

/** True when the user (file, environment or override) set this property. */
export function isExplicit(ctx: ValidationContext, name: string): boolean {
  const entry = ctx.raw.get(name)
  return entry !== undefined && entry.source !== 'default'
}
