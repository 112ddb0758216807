// Validation of a whole document (declarative.md §1.1, §2, §4 step 3): top-level keys, the
// collections and every entity object, nested ones included, with the schema engine. The error
// tree mirrors the input. Nested collections are not schema fields here: this walker strips them
// (and the `_comment`/`_ignore` annotations) from each object, validates the entity with the
// variant of its definition, and recurses.
import { processAutoFields } from '../schema/auto-fields.js'
import type { Field } from '../schema/field.js'
import { MESSAGES } from '../schema/messages.js'
import { isPlainObject } from '../schema/record.js'
import { validateField, validateRecord } from '../schema/validate.js'
import type { ErrorList, ErrorMap, ErrorTree } from './error-tree.js'
import type { DeclarativeModel, DefinitionVariant } from './model.js'

/** The format versions Kong 3.x reads; 1.1 and 2.1 get their route paths migrated. */
export const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const

const META_FIELDS: Readonly<Record<string, Field>> = {
  _format_version: { type: 'string', required: true, one_of: FORMAT_VERSIONS },
  _transform: { type: 'boolean', default: true },
  _comment: { type: 'string' },
  _ignore: { type: 'array', elements: { type: 'json' } },
  // Kong's internal key/value entity (its cluster id), found in `kong config db_export` dumps.
  // Accepted and validated as Kong does; Silverback has no use for it and does not keep it.
  parameters: {
    type: 'array',
    elements: {
      type: 'record',
      fields: {
        key: { type: 'string', required: true },
        value: { type: 'string', required: true },
        created_at: { type: 'integer' },
      },
    },
  },
}

/** Annotations accepted (and ignored) in every entity object. */
const ANNOTATIONS: Readonly<Record<string, Field>> = {
  _comment: META_FIELDS._comment,
  _ignore: META_FIELDS._ignore,
}

/**
 * `declarative`: Kong's declarative schema (top-level foreign keys are strings, those of nested
 * entries must be null). `full`: the entity schemas themselves, for a document whose references
 * were resolved to `{id}` (see ids.ts `resolveForValidation`).
 */
export type ValidationPass = 'declarative' | 'full'

/** An array, or an empty object (an empty Lua table is an empty array to Kong). */
function isSequence(v: unknown): v is unknown[] | Record<string, never> {
  return Array.isArray(v) || (isPlainObject(v) && Object.keys(v).length === 0)
}

/** Splits an entity object into its own fields, its nested collections and its annotations. */
export function splitEntity(
  model: DeclarativeModel,
  entity: string,
  item: Record<string, unknown>,
): { fields: Record<string, unknown>; children: [string, unknown][]; annotations: [string, unknown][] } {
  const childLinks = model.children(entity)
  const fields: Record<string, unknown> = {}
  const children: [string, unknown][] = []
  const annotations: [string, unknown][] = []
  for (const [k, v] of Object.entries(item)) {
    if (Object.hasOwn(ANNOTATIONS, k)) annotations.push([k, v])
    else if (childLinks.has(k)) children.push([k, v])
    else fields[k] = v
  }
  return { fields, children, annotations }
}

/** The definition an entity object is checked with in a pass (see model.ts). */
export function variantFor(nested: boolean, pass: ValidationPass): DefinitionVariant {
  if (pass === 'full') return 'full'
  return nested ? 'nested' : 'top'
}

function validateEntity(
  model: DeclarativeModel,
  entity: string,
  item: Record<string, unknown>,
  nested: boolean,
  pass: ValidationPass,
): ErrorMap | undefined {
  const { fields, children, annotations } = splitEntity(model, entity, item)
  const errors: ErrorMap = {}
  for (const [k, v] of annotations) {
    const err = validateField(ANNOTATIONS[k], v)
    if (err !== undefined) errors[k] = err as ErrorTree
  }
  const def = model.definition(entity, variantFor(nested, pass))
  const processed = processAutoFields(def, fields, 'insert')
  // The engine's trees only hold defined values, so they are error trees as declared here.
  if ('errors' in processed) Object.assign(errors, processed.errors as ErrorMap)
  else {
    const errs = validateRecord(def, processed.value, {}, true)
    if (errs) Object.assign(errors, errs as ErrorMap)
  }
  for (const [child, value] of children) {
    const err = validateCollection(model, child, value, true, pass)
    if (err !== undefined) errors[child] = err
  }
  return Object.keys(errors).length > 0 ? errors : undefined
}

function validateCollection(
  model: DeclarativeModel,
  entity: string,
  value: unknown,
  nested: boolean,
  pass: ValidationPass,
): ErrorTree | undefined {
  if (value === null || value === undefined) return undefined
  if (!isSequence(value)) return MESSAGES.ARRAY
  if (!Array.isArray(value)) return undefined
  let errors: ErrorList | undefined
  value.forEach((item, i) => {
    let err: ErrorTree | undefined
    if (item === null || item === undefined) err = MESSAGES.REQUIRED
    else if (isPlainObject(item)) err = validateEntity(model, entity, item, nested, pass)
    else if (Array.isArray(item) && item.length === 0) err = validateEntity(model, entity, {}, nested, pass)
    else err = MESSAGES.RECORD
    if (err !== undefined) {
      // No padding after the last error: Kong's error tables have no trailing empty positions.
      errors ??= []
      while (errors.length < i) errors.push(null)
      errors[i] = err
    }
  })
  return errors
}

/** Validates a whole document; undefined when valid, else the error tree. */
export function validateDocument(
  model: DeclarativeModel,
  doc: Record<string, unknown>,
  pass: ValidationPass,
): ErrorMap | undefined {
  const errors: ErrorMap = {}
  for (const [key, value] of Object.entries(doc)) {
    let err: ErrorTree | undefined
    if (Object.hasOwn(META_FIELDS, key)) err = validateField(META_FIELDS[key], value) as ErrorTree | undefined
    else if (model.has(key)) err = validateCollection(model, key, value, false, pass)
    else err = MESSAGES.UNKNOWN
    if (err !== undefined) errors[key] = err
  }
  if (doc._format_version === undefined) errors._format_version = MESSAGES.REQUIRED
  return Object.keys(errors).length > 0 ? errors : undefined
}
