// The configuration hash (declarative.md §8.4), exposed as `configuration_hash` and used by
// `POST /config?check_hash=1`.
import { isPlainObject } from '../schema/record.js'
import type { Row } from '../strategies/strategy.js'
import { md5Hex } from './parse.js'

/** The hash of a configuration without entities. */
export const EMPTY_CONFIG_HASH = '00000000000000000000000000000000'

/** JSON with object keys sorted at every level, so equal values always serialize the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

/**
 * The hash of a loaded configuration: all zeros when it holds no entity; else the MD5 of the
 * text it was read from, when there was one; else the MD5 of the canonical JSON of
 * `[{<type>: {<id>: <entity>}}, meta]` (the form Kong hashes).
 */
export function configurationHash(
  entities: Readonly<Record<string, readonly Row[]>>,
  meta: object,
  textHash?: string,
): string {
  if (Object.values(entities).every((rows) => rows.length === 0)) return EMPTY_CONFIG_HASH
  if (textHash) return textHash
  const byId: Record<string, Record<string, Row>> = {}
  for (const [entity, rows] of Object.entries(entities)) {
    byId[entity] = {}
    for (const row of rows) byId[entity][String(row.id)] = row
  }
  return md5Hex(canonicalJson([byId, meta]))
}
