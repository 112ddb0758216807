// Reading declarative configuration text (declarative.md §1): JSON or YAML chosen by file name,
// JSON then YAML without a name, and the configuration hash of the text (§8.4).
import { createHash } from 'node:crypto'
import { parseAllDocuments, type ScalarTag } from 'yaml'
import { isPlainObject } from '../schema/record.js'
import { DeclarativeError } from './errors.js'

export interface ParseOptions {
  /** The file the text comes from; decides the format (`.json`, `.yml`, `.yaml`). */
  filename?: string
}

export type DeclarativeResult<T> = { ok: true; value: T } | { ok: false; error: DeclarativeError }

export interface ParsedDeclarative {
  /** The document, not yet validated. */
  config: Record<string, unknown>
  /** Lowercase hex MD5 of the text. */
  hash: string
}

const PARSE_FAILED = 'failed parsing declarative configuration'

/**
 * Kong reads YAML with libyaml (YAML 1.1), where `yes`/`no`/`on`/`off` are booleans (but `y`/`n`
 * are strings). The `yaml` package's 1.2 core schema plus this tag gives the same values.
 */
export const YAML_11_BOOLEANS: ScalarTag = {
  identify: (v) => typeof v === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/,
  resolve: (s) => /^(?:yes|on)$/i.test(s),
}

type Decoded = { value: unknown } | { error: string }

function decodeJson(text: string): Decoded {
  try {
    return { value: JSON.parse(text) }
  } catch (err) {
    return { error: (err as Error).message }
  }
}

function decodeYaml(text: string): Decoded {
  // Like lyaml, only the first document counts; duplicate keys keep the last value.
  const docs = parseAllDocuments(text, { merge: true, uniqueKeys: false, customTags: [YAML_11_BOOLEANS] })
  const doc = Array.isArray(docs) ? docs[0] : undefined
  if (!doc) return { value: null }
  if (doc.errors.length > 0) return { error: doc.errors[0].message.trim() }
  try {
    return { value: doc.toJS() }
  } catch (err) {
    // e.g. "Excessive alias count indicates a resource exhaustion attack".
    return { error: (err as Error).message }
  }
}

/**
 * Returns a copy made of fresh plain objects and arrays. YAML aliases give shared (even
 * self-referencing) objects; each occurrence must be independent, and cycles are refused.
 */
function detach(value: unknown, seen: Set<object> = new Set()): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (seen.has(value)) throw new Error('recursive alias')
  seen.add(value)
  let out: unknown
  if (Array.isArray(value)) out = value.map((v) => detach(v, seen))
  else {
    const obj: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) obj[k] = detach(v, seen)
    out = obj
  }
  seen.delete(value)
  return out
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex')
}

/**
 * Parses declarative configuration text. Names ending in `json` are read as JSON, names ending
 * in `yml`/`yaml` as YAML; any other name is refused. Without a name the text is tried as JSON,
 * then as YAML. The root must be an object.
 */
export function parseDeclarativeText(
  text: string,
  opts: ParseOptions = {},
): DeclarativeResult<ParsedDeclarative> {
  const { filename } = opts
  const asJson = filename === undefined || /json$/.test(filename)
  const asYaml = filename === undefined || /ya?ml$/.test(filename)
  if (!asJson && !asYaml) {
    return {
      ok: false,
      error: DeclarativeError.parse(`unknown file type: ${filename}. (Accepted types: json, yaml)`),
    }
  }

  // A JSON document that is not an object falls through to YAML, as in Kong.
  let decoded: Decoded = asJson ? decodeJson(text) : { value: undefined }
  if (asYaml && !('value' in decoded && isPlainObject(decoded.value))) decoded = decodeYaml(text)
  if ('value' in decoded && !isPlainObject(decoded.value)) decoded = { error: 'expected an object' }
  if ('error' in decoded) {
    return { ok: false, error: DeclarativeError.parse(`${PARSE_FAILED}: ${decoded.error}`) }
  }

  let config: Record<string, unknown>
  try {
    config = detach(decoded.value) as Record<string, unknown>
  } catch (err) {
    return { ok: false, error: DeclarativeError.parse(`${PARSE_FAILED}: ${(err as Error).message}`) }
  }
  return { ok: true, value: { config, hash: md5Hex(text) } }
}
