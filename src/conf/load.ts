// loadConf: defaults < file < KONG_* environment < overrides, then vault references, typing,
// validation and derived values. Problems are returned, never thrown: `silverback check` prints them
// all, and start/prepare/reload refuse to run when there is any.
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DEPRECATED } from './aliases.js'
import {
  DEFAULT_CONF_PATHS,
  isUnsetDefault,
  PROPERTIES,
  PROPERTY_NAMES,
  type PropertySpec,
} from './defaults.js'
import { deriveConf } from './derive.js'
import { attachMeta } from './meta.js'
import { type EscapeMode, parseConfText, splitList } from './parse.js'
import { resolvePaths } from './paths.js'
import { resolveReferences } from './references.js'
import {
  applyAliases,
  applyDirectives,
  applyEnv,
  applyFileEntries,
  applyOverrides,
  defaultsRaw,
  type RawConf,
} from './sources.js'
import type { Conf, ValueSource } from './types.js'
import { validateConf } from './validate.js'
import type { ValidationContext } from './validate-context.js'
import { type TypedValue, typeValue } from './values.js'

export interface LoadConfOptions {
  /** Configuration file (`-c/--conf`); must exist. */
  confPath?: string
  /**
   * A node's saved `.kong_env`, read as the file source (commands acting on a running node). When
   * confPath is given too, its values are applied over it (`reload -c`).
   */
  kongEnvPath?: string
  /** `-p/--prefix`: an override of `prefix`. */
  prefix?: string
  /** Environment for KONG_* variables and env vault references (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** Highest-precedence values, from command-line flags (`{ pg_timeout: '10000' }`). */
  overrides?: Record<string, string>
  /** Look for /etc/kong/kong.conf, /etc/kong.conf when no file is given (default true). */
  searchDefaultPaths?: boolean
  /** The files searched by searchDefaultPaths (default: Kong's DEFAULT_PATHS). */
  defaultPaths?: readonly string[]
  /** Base of relative paths (default: process.cwd()). */
  cwd?: string
  /** Unresolvable vault references become unset instead of errors (stopping a node needs no secrets). */
  ignoreUnresolvedRefs?: boolean
}

export interface LoadConfResult {
  conf: Conf
  warnings: string[]
  errors: string[]
  /** The configuration file that was read (null when none). */
  confPath: string | null
  /** Source of every property and dynamic name. */
  sources: Record<string, ValueSource>
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Reads one file into `raw`; a file that cannot be read is reported in `errors`. */
function readSource(raw: RawConf, path: string, mode: EscapeMode, warnings: string[], errors: string[]) {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    errors.push(
      code === 'ENOENT' ? `no file at: ${path}` : `could not load config file: ${(err as Error).message}`,
    )
    return
  }
  const parsed = parseConfText(text, mode)
  for (const { line, text: content } of parsed.invalid) {
    warnings.push(`invalid line ${line} in ${path} (ignored): ${content}`)
  }
  applyFileEntries(raw, parsed.entries, path, warnings)
}

function deprecationWarnings(raw: RawConf, warnings: string[]) {
  for (const [name, { replacement, value }] of Object.entries(DEPRECATED)) {
    const entry = raw.get(name)
    if (!entry || entry.source === 'default') continue
    if (replacement) {
      warnings.push(`the '${name}' configuration property is deprecated, use '${replacement}' instead`)
    } else if (value !== undefined && entry.text.trim() === value) {
      warnings.push(`the configuration value '${value}' for configuration property '${name}' is deprecated`)
    }
  }
}

/** The typed default of a property, used when its configured value is invalid. */
function typedDefault(name: string, spec: PropertySpec): TypedValue {
  if (spec.type === 'array') return splitList(spec.default === 'NONE' ? '' : spec.default)
  if (isUnsetDefault(spec.default)) return null
  const typed = typeValue(name, spec, spec.default)
  return typed.ok ? typed.value : null
}

export function loadConf(opts: LoadConfOptions = {}): LoadConfResult {
  const errors: string[] = []
  const warnings: string[] = []
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env ?? process.env
  const raw = defaultsRaw()

  // File sources.
  let confPath: string | null = null
  if (opts.kongEnvPath !== undefined) {
    confPath = resolve(cwd, opts.kongEnvPath)
    readSource(raw, confPath, 'kong_env', warnings, errors)
  }
  if (opts.confPath !== undefined) {
    confPath = resolve(cwd, opts.confPath)
    readSource(raw, confPath, 'kong', warnings, errors)
  } else if (opts.kongEnvPath === undefined && opts.searchDefaultPaths !== false) {
    const found = (opts.defaultPaths ?? DEFAULT_CONF_PATHS).find(isFile)
    if (found !== undefined) {
      confPath = found
      readSource(raw, found, 'kong', warnings, errors)
    }
  }

  applyEnv(raw, env)
  applyOverrides(
    raw,
    { ...opts.overrides, ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) },
    warnings,
  )
  deprecationWarnings(raw, warnings)
  applyAliases(raw)
  applyDirectives(raw)

  const { values, refs } = resolveReferences(raw, env, errors, opts.ignoreUnresolvedRefs)

  // Typing: an invalid value is reported and replaced by its default so that the checks below
  // still run on well-typed values.
  const record: Record<string, unknown> = {}
  for (const name of PROPERTY_NAMES) {
    const spec: PropertySpec = PROPERTIES[name]
    const typed = typeValue(name, spec, values.get(name) ?? '')
    if (typed.ok) {
      record[name] = typed.value
    } else {
      if (raw.get(name)?.copiedFrom === undefined) errors.push(typed.error)
      record[name] = typedDefault(name, spec)
    }
  }
  for (const [name, value] of values) {
    if (name in record || typeof value !== 'string') continue
    const text = value.trim()
    // Dynamic names are kept as text; an empty value removes them, as in Kong.
    if (text !== '') record[name] = text
  }
  const conf = record as Conf

  const ctx: ValidationContext = { cwd, errors, warnings, raw }
  resolvePaths(conf, cwd)
  const hostPorts = validateConf(conf, ctx)
  Object.assign(conf, deriveConf(conf, hostPorts, ctx))

  const sources: Record<string, ValueSource> = {}
  for (const [name, entry] of raw) sources[name] = entry.source
  attachMeta(conf, { sources, refs })
  return { conf, warnings, errors, confPath, sources }
}
