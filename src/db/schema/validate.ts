// The validator: checks a value against a field definition and a record against its
// definition (fields, required fields, entity checks), producing Kong's error trees:
//   { field: "message", nested: { sub: "message" }, list: [null, "message"], "@entity": [...] }

import { processAutoFields } from './auto-fields.js'
import type {
  ConditionalAtLeastOneOfCheck,
  ConditionalCheck,
  EntityCheck,
  Field,
  FieldAttributes,
} from './field.js'
import { format, MESSAGES, quotedList } from './messages.js'
import {
  type FieldErrorArray,
  type FieldErrors,
  type FieldErrorTree,
  getPath,
  getSchemaField,
  getSubschema,
  isNonEmpty,
  isPlainObject,
  type RecordDefinition,
  recordOf,
  resolveField,
  type SubschemaDefinition,
  setPath,
} from './record.js'

export interface ValidateOptions {
  /** PATCH: messages say "when updating"; the input is the merged entity. */
  updating?: boolean
}

/** Looks up entity definitions for `foreign` fields (set by the entity registry). */
let foreignResolver: (name: string) => RecordDefinition | undefined = () => undefined
export function setForeignResolver(fn: (name: string) => RecordDefinition | undefined): void {
  foreignResolver = fn
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const VAULT_REF_RE = /^\{vault:\/\/.+\}$/

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && v.length === 36 && UUID_RE.test(v)
}

export function isVaultReference(v: unknown): boolean {
  return typeof v === 'string' && VAULT_REF_RE.test(v)
}

function isSequence(v: unknown): v is unknown[] {
  // An empty JSON object decodes to an empty Lua table in Kong, which is a valid empty array.
  return Array.isArray(v) || (isPlainObject(v) && Object.keys(v).length === 0)
}

function isTable(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) || (Array.isArray(v) && v.length === 0)
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value)
  if (Array.isArray(value)) return value.length
  if (isPlainObject(value)) return Object.keys(value).length
  return 0
}

function display(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

type Validator = (value: never, arg: never, field: Field) => string | undefined

const VALIDATORS: [keyof FieldAttributes, Validator][] = [
  [
    'eq',
    ((v: unknown, wanted: unknown) =>
      v === wanted ? undefined : format(MESSAGES.EQ, display(wanted))) as Validator,
  ],
  [
    'ne',
    ((v: unknown, wanted: unknown) =>
      v !== wanted ? undefined : format(MESSAGES.NE, display(v))) as Validator,
  ],
  [
    'not_one_of',
    ((v: string | number, opts: readonly (string | number)[]) =>
      opts.includes(v) ? format(MESSAGES.NOT_ONE_OF, opts.join(', ')) : undefined) as Validator,
  ],
  [
    'one_of',
    ((v: string | number, opts: readonly (string | number)[]) =>
      opts.includes(v) ? undefined : format(MESSAGES.ONE_OF, opts.join(', '))) as Validator,
  ],
  ['gt', ((v: number, limit: number) => (v > limit ? undefined : format(MESSAGES.GT, limit))) as Validator],
  ['timestamp', ((v: number) => (v > 0 ? undefined : MESSAGES.TIMESTAMP)) as Validator],
  ['uuid', ((v: string) => (isUuid(v) ? undefined : MESSAGES.UUID)) as Validator],
  [
    'is_regex',
    ((v: string) => {
      try {
        new RegExp(v)
        return undefined
      } catch {
        return format(MESSAGES.IS_REGEX, v)
      }
    }) as Validator,
  ],
  [
    'between',
    ((v: number, [min, max]: readonly [number, number]) =>
      v < min || v > max ? format(MESSAGES.BETWEEN, min, max) : undefined) as Validator,
  ],
  [
    'len_eq',
    ((v: unknown, n: number) => (lengthOf(v) === n ? undefined : format(MESSAGES.LEN_EQ, n))) as Validator,
  ],
  [
    'len_min',
    ((v: unknown, n: number) => (lengthOf(v) >= n ? undefined : format(MESSAGES.LEN_MIN, n))) as Validator,
  ],
  [
    'len_max',
    ((v: unknown, n: number) => (lengthOf(v) <= n ? undefined : format(MESSAGES.LEN_MAX, n))) as Validator,
  ],
  [
    'starts_with',
    ((v: string, prefix: string) =>
      v.startsWith(prefix) ? undefined : format(MESSAGES.STARTS_WITH, prefix)) as Validator,
  ],
  [
    'not_match',
    ((v: string, re: RegExp) => (re.test(v) ? format(MESSAGES.NOT_MATCH, v) : undefined)) as Validator,
  ],
  [
    'match_none',
    ((v: string, rules: readonly { pattern: RegExp; err: string }[]) =>
      rules.find((r) => r.pattern.test(v))?.err) as Validator,
  ],
  ['match', ((v: string, re: RegExp) => (re.test(v) ? undefined : format(MESSAGES.MATCH, v))) as Validator],
  [
    'match_all',
    ((v: string, rules: readonly { pattern: RegExp; err: string }[]) =>
      rules.find((r) => !r.pattern.test(v))?.err) as Validator,
  ],
  [
    'match_any',
    ((v: string, arg: { patterns: readonly RegExp[]; err: string }) =>
      arg.patterns.some((p) => p.test(v)) ? undefined : arg.err) as Validator,
  ],
  [
    'contains',
    ((v: unknown[], wanted: unknown) =>
      v.includes(wanted) ? undefined : format(MESSAGES.CONTAINS, wanted)) as Validator,
  ],
  [
    'custom_validator',
    ((v: never, fn: (value: never) => string | undefined | null) => {
      const err = fn(v)
      return err ? err : undefined
    }) as Validator,
  ],
  [
    'mutually_exclusive_subsets',
    ((v: string[], subsets: readonly (readonly string[])[]) => {
      const memberOf: (readonly string[])[] = []
      for (const item of v) {
        const subset = subsets.find((s) => s.includes(item))
        if (subset && !memberOf.includes(subset)) memberOf.push(subset)
      }
      return memberOf.length <= 1 ? undefined : format(MESSAGES.MUTUALLY_EXCLUSIVE_SETS, quotedList(memberOf))
    }) as Validator,
  ],
]

function validateElements(
  field: Field,
  value: unknown[],
  opts: ValidateOptions,
): FieldErrorArray | undefined {
  const elements = { ...field.elements!, required: true }
  let errs: FieldErrorArray | undefined
  value.forEach((item, i) => {
    const err = validateField(elements, item, opts)
    if (err !== undefined) {
      errs ??= new Array(value.length).fill(null)
      errs[i] = err
    }
  })
  // Kong's sparse error tables encode without trailing valid elements: ["msg"], not ["msg", null].
  if (errs) while (errs.length > 0 && errs[errs.length - 1] === null) errs.pop()
  return errs
}

function validatePrimaryKeyRef(
  field: Field,
  value: unknown,
  opts: ValidateOptions,
): FieldErrorTree | undefined {
  const target = field.reference ? foreignResolver(field.reference) : undefined
  const idField: Field = target?.fields.id ?? { type: 'string', uuid: true, auto: true }
  let pkErr: FieldErrorTree | undefined
  if (!isPlainObject(value) || value.id === undefined) pkErr = MESSAGES.MISSING_PK
  else if (value.id === null) pkErr = MESSAGES.REQUIRED
  else pkErr = validateField(idField, value.id, opts)
  if (pkErr === undefined) return undefined
  if (isPlainObject(value) && target) {
    const errs = validateRecord(target, value, { ...opts, updating: false }, false)
    if (errs) return errs
  }
  return { id: pkErr }
}

/** Validates one value against its field definition. */
export function validateField(
  field: Field,
  value: unknown,
  opts: ValidateOptions = {},
): FieldErrorTree | undefined {
  if (value === null || value === undefined) {
    if (field.ne === null) return field.err ?? format(MESSAGES.NE, 'null')
    if (field.eq !== undefined && field.eq !== null) return format(MESSAGES.EQ, display(field.eq))
    if (field.required) return MESSAGES.REQUIRED
    return undefined
  }
  if (field.eq === null) return field.err ?? format(MESSAGES.EQ, 'null')

  let stringField = field
  switch (field.type) {
    case 'array':
    case 'set': {
      if (!isSequence(value)) return field.type === 'array' ? MESSAGES.ARRAY : MESSAGES.SET
      const errs = Array.isArray(value) ? validateElements(field, value, opts) : undefined
      if (errs) return errs
      break
    }
    case 'map': {
      if (!isTable(value)) return MESSAGES.MAP
      const keys = { ...field.keys!, required: true }
      const values = { ...field.values!, required: true }
      for (const [k, v] of Object.entries(value)) {
        const err = validateField(keys, k, opts) ?? validateField(values, v, opts)
        if (err !== undefined) return err
      }
      break
    }
    case 'record': {
      if (!isTable(value)) return MESSAGES.RECORD
      const def = recordOf(field)
      const copy = processAutoFields(def, isPlainObject(value) ? value : {}, 'insert')
      if ('errors' in copy) return copy.errors
      const errs = validateRecord(def, copy.value, opts, true)
      if (errs) return errs
      break
    }
    case 'foreign': {
      const err = validatePrimaryKeyRef(field, value, opts)
      if (err !== undefined) return err
      break
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return MESSAGES.INTEGER
      break
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return MESSAGES.NUMBER
      break
    case 'boolean':
      if (typeof value !== 'boolean') return MESSAGES.BOOLEAN
      break
    case 'string':
      if (typeof value !== 'string') return MESSAGES.STRING
      // Empty strings are invalid unless the field says otherwise.
      if (field.len_min === undefined) stringField = { ...field, len_min: 1 }
      if (field.referenceable && isVaultReference(value)) return undefined
      break
    case 'json':
      break
  }

  for (const [name, fn] of VALIDATORS) {
    const arg = stringField[name]
    if (arg === undefined) continue
    const err = fn(value as never, arg as never, stringField)
    if (err !== undefined) return field.err ?? err
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Entity checks

interface Checker {
  runWithMissingFields?: boolean
  runWithInvalidFields?: boolean
  /** Names of the check argument's keys listing the fields involved (default: the arg is the list). */
  fieldSources?: string[]
  requiredFields?: string[]
  /** Returns undefined on success, else [argument for the message, custom message]. */
  fn: (
    entity: Record<string, unknown>,
    arg: never,
    def: RecordDefinition,
    errors: FieldErrors,
    opts: ValidateOptions,
  ) => undefined | [string, string?] | { custom: string[] } | { fields: FieldErrors }
}

function matchesSpec(
  def: RecordDefinition,
  fieldName: string,
  spec: FieldAttributes,
  value: unknown,
): boolean {
  const base = getSchemaField(def, fieldName)
  const merged = { ...(base ?? { type: 'string' }), ...spec } as Field
  return validateField(merged, value) === undefined
}

function firstNonEmpty(entity: Record<string, unknown>, names: readonly string[]): boolean {
  return names.some((n) => isNonEmpty(getPath(entity, n)))
}

const CHECKERS: Record<string, Checker> = {
  at_least_one_of: {
    runWithMissingFields: true,
    runWithInvalidFields: true,
    fn: (entity, names: readonly string[]) =>
      firstNonEmpty(entity, names) ? undefined : [quotedList(names)],
  },
  conditional_at_least_one_of: {
    runWithMissingFields: true,
    runWithInvalidFields: true,
    fieldSources: ['if_field', 'then_at_least_one_of', 'else_then_at_least_one_of'],
    requiredFields: ['if_field'],
    fn: (entity, arg: ConditionalAtLeastOneOfCheck, def) => {
      const ifValue = getPath(entity, arg.if_field)
      if (ifValue === undefined) return undefined
      let names: readonly string[]
      let custom: string | undefined
      if (matchesSpec(def, arg.if_field, arg.if_match, ifValue)) {
        names = arg.then_at_least_one_of
        custom = arg.then_err
      } else {
        if (!arg.else_match || !matchesSpec(def, arg.if_field, arg.else_match, ifValue)) return undefined
        names = arg.else_then_at_least_one_of ?? []
        custom = arg.else_then_err
      }
      if (firstNonEmpty(entity, names)) return undefined
      const list = quotedList(names)
      return [list, custom ? format(custom, list) : undefined]
    },
  },
  only_one_of: {
    runWithInvalidFields: true,
    fn: (entity, names: readonly string[]) =>
      names.filter((n) => isNonEmpty(getPath(entity, n))).length === 1 ? undefined : [quotedList(names)],
  },
  distinct: {
    runWithInvalidFields: true,
    fn: (entity, names: readonly string[]) => {
      const seen = new Set<unknown>()
      for (const n of names) {
        const v = getPath(entity, n)
        if (!isNonEmpty(v)) continue
        if (seen.has(v)) return [quotedList(names)]
        seen.add(v)
      }
      return undefined
    },
  },
  conditional: {
    runWithInvalidFields: true,
    fieldSources: ['if_field', 'then_field'],
    requiredFields: ['if_field'],
    fn: (entity, arg: ConditionalCheck, def, errors) => {
      const ifValue = getPath(entity, arg.if_field)
      const thenValue = getPath(entity, arg.then_field) ?? null
      if (!matchesSpec(def, arg.if_field, arg.if_match, ifValue)) return undefined
      if (arg.then_match.required === true && thenValue === null) {
        setPath(errors as Record<string, unknown>, arg.then_field, MESSAGES.REQUIRED)
        return [arg.if_field]
      }
      const base = getSchemaField(def, arg.then_field)
      const merged = { ...(base ?? { type: 'string' }), ...arg.then_match } as Field
      const err = validateField(merged, thenValue)
      if (err === undefined) return undefined
      setPath(errors as Record<string, unknown>, arg.then_field, err)
      return [arg.if_field, arg.then_err ? format(arg.then_err, arg.if_field) : undefined]
    },
  },
  custom_entity_check: {
    fieldSources: ['field_sources'],
    requiredFields: ['field_sources'],
    fn: (
      entity,
      arg: { fn: (e: Record<string, unknown>) => true | string | Record<string, string | string[]> },
    ) => {
      const res = arg.fn(entity)
      if (res === true) return undefined
      if (typeof res === 'string') return { custom: [res] }
      const fields: FieldErrors = {}
      const custom: string[] = []
      for (const [k, v] of Object.entries(res)) {
        if (k === '@entity') custom.push(...(Array.isArray(v) ? v : [v]))
        else fields[k] = v
      }
      return custom.length ? { custom } : { fields }
    },
  },
  mutually_required: {
    runWithMissingFields: true,
    fn: (entity, names: readonly string[]) => {
      const n = names.filter((x) => isNonEmpty(getPath(entity, x))).length
      return n === 0 || n === names.length ? undefined : [quotedList(names)]
    },
  },
  mutually_exclusive: {
    runWithMissingFields: true,
    fn: (entity, names: readonly string[]) =>
      names.filter((x) => isNonEmpty(getPath(entity, x))).length <= 1 ? undefined : [quotedList(names)],
  },
  mutually_exclusive_sets: {
    runWithMissingFields: true,
    fieldSources: ['set1', 'set2'],
    requiredFields: ['set1', 'set2'],
    fn: (entity, arg: { set1: readonly string[]; set2: readonly string[] }) => {
      const a = arg.set1.filter((x) => isNonEmpty(getPath(entity, x)))
      const b = arg.set2.filter((x) => isNonEmpty(getPath(entity, x)))
      return a.length > 0 && b.length > 0 ? [`(${quotedList(a)}), (${quotedList(b)})`] : undefined
    },
  },
}

function messageFor(name: string, opts: ValidateOptions): string | undefined {
  const key = name.toUpperCase() as keyof typeof MESSAGES
  const msg: string | undefined = MESSAGES[key]
  if (!msg || !opts.updating) return msg
  if (key === 'AT_LEAST_ONE_OF' || key === 'CONDITIONAL_AT_LEAST_ONE_OF') return `when updating, ${msg}`
  return msg
}

function addEntityError(errors: FieldErrors, msg: string): void {
  const list = (errors['@entity'] as string[] | undefined) ?? []
  list.push(msg)
  errors['@entity'] = list
}

function runEntityCheck(
  def: RecordDefinition,
  check: EntityCheck,
  input: Record<string, unknown>,
  fullCheck: boolean,
  errors: FieldErrors,
  opts: ValidateOptions,
): void {
  const [name, arg] = Object.entries(check)[0] as [string, Record<string, unknown> & readonly string[]]
  const checker = CHECKERS[name]
  if (!checker || arg === null || arg === undefined) return
  const fieldsToCheck: string[] = []
  const required = new Set<string>()
  if (checker.fieldSources) {
    for (const source of checker.fieldSources) {
      const v = (arg as Record<string, unknown>)[source]
      const names = typeof v === 'string' ? [v] : Array.isArray(v) ? (v as string[]) : []
      for (const n of names) {
        fieldsToCheck.push(n)
        if (checker.requiredFields?.includes(source)) required.add(n)
      }
    }
  } else {
    for (const n of arg as readonly string[]) {
      fieldsToCheck.push(n)
      required.add(n)
    }
  }
  const argFlags = arg as { run_with_missing_fields?: boolean; run_with_invalid_fields?: boolean }
  const checkInput: Record<string, unknown> = {}
  const missing: string[] = []
  let allNil = true
  let allOk = true
  for (const fname of fieldsToCheck) {
    const value = getPath(input, fname)
    if (value === undefined) {
      if (!checker.runWithMissingFields && !argFlags.run_with_missing_fields && required.has(fname))
        missing.push(fname)
    } else {
      allNil = false
      const field = getSchemaField(def, fname)
      if (field?.type === 'string' && field.referenceable && isVaultReference(value)) return
    }
    if (errors[fname] !== undefined) allOk = false
    setPath(checkInput, fname, value)
  }
  if (!allOk && !checker.runWithInvalidFields && !argFlags.run_with_invalid_fields) return
  if (allNil && !(checker.runWithMissingFields && fullCheck)) return
  if (missing.length > 0) {
    const msg = opts.updating
      ? `${MESSAGES.REQUIRED_FOR_ENTITY_CHECK} when updating`
      : MESSAGES.REQUIRED_FOR_ENTITY_CHECK
    for (const m of missing) setPath(errors as Record<string, unknown>, m, msg)
    return
  }
  const res = checker.fn(checkInput, arg as never, def, errors, opts)
  if (res === undefined) return
  if ('custom' in res) {
    for (const m of res.custom) addEntityError(errors, m)
    return
  }
  if ('fields' in res) {
    Object.assign(errors, res.fields)
    return
  }
  const [detail, custom] = res
  if (custom) {
    addEntityError(errors, custom)
    return
  }
  const template = messageFor(name, opts)
  addEntityError(errors, template ? format(template, detail) : format(MESSAGES.ENTITY_CHECK, name, detail))
}

function runEntityChecks(
  def: RecordDefinition,
  subschema: SubschemaDefinition | undefined,
  input: Record<string, unknown>,
  fullCheck: boolean,
  errors: FieldErrors,
  opts: ValidateOptions,
): void {
  for (const check of def.entity_checks ?? []) runEntityCheck(def, check, input, fullCheck, errors, opts)
  if (subschema?.entity_checks) {
    const merged: RecordDefinition = { ...def, fields: { ...def.fields, ...subschema.fields } }
    for (const check of subschema.entity_checks) runEntityCheck(merged, check, input, fullCheck, errors, opts)
  }
}

/**
 * Validates a record. `fullCheck` demands a complete entity (insert/upsert); PATCH validates the
 * merged entity with `updating` set. Returns undefined when valid, else the error tree.
 */
export function validateRecord(
  def: RecordDefinition,
  input: Record<string, unknown>,
  opts: ValidateOptions = {},
  fullCheck = true,
): FieldErrors | undefined {
  const errors: FieldErrors = {}
  if (def.subschema_key && def.subschemas) {
    const key = input[def.subschema_key]
    if (key === null || key === undefined) return { [def.subschema_key]: MESSAGES.REQUIRED }
    // An empty set (`protocols: []`) falls through to its field's own length check.
    const empty = Array.isArray(key) && key.length === 0
    if (!empty && !getSubschema(def, input)) {
      const shown = typeof key === 'string' ? key : Array.isArray(key) ? key[0] : key
      return { [def.subschema_key]: format(def.subschema_error ?? MESSAGES.SUBSCHEMA_UNKNOWN, shown) }
    }
  }
  const subschema = getSubschema(def, input)
  for (const [k, v] of Object.entries(input)) {
    // `updated_at` is always set by the server and never validated; `ttl` is an input option.
    if (k === 'updated_at' && Object.hasOwn(def.fields, 'updated_at')) continue
    if (k === 'ttl' && def.ttl) continue
    const field = resolveField(def, k, subschema)
    if (!field) {
      errors[k] = MESSAGES.UNKNOWN
      continue
    }
    const err = validateField(field, v, opts)
    if (err !== undefined) errors[k] = err
  }
  for (const [name, field] of Object.entries(def.fields)) {
    if (field.required && (input[name] === null || (fullCheck && input[name] === undefined))) {
      errors[name] = MESSAGES.REQUIRED
    }
  }
  runEntityChecks(def, subschema, input, fullCheck, errors, opts)
  return Object.keys(errors).length > 0 ? errors : undefined
}
