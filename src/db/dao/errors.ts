// DAO errors: Kong's numbered error codes, names and message formats. The Admin API maps codes to
// HTTP statuses (admin/errors.ts); the body is the error itself.
import { pretty } from '../schema/pretty.js'
import type { FieldErrors, FieldErrorTree } from '../schema/record.js'

export const ERROR_CODES = {
  INVALID_PRIMARY_KEY: 1,
  SCHEMA_VIOLATION: 2,
  PRIMARY_KEY_VIOLATION: 3,
  FOREIGN_KEY_VIOLATION: 4,
  UNIQUE_VIOLATION: 5,
  NOT_FOUND: 6,
  INVALID_OFFSET: 7,
  DATABASE_ERROR: 8,
  INVALID_SIZE: 9,
  INVALID_UNIQUE: 10,
  INVALID_OPTIONS: 11,
  OPERATION_UNSUPPORTED: 12,
  FOREIGN_KEYS_UNRESOLVED: 13,
  DECLARATIVE_CONFIG: 14,
  TRANSFORMATION_ERROR: 15,
  INVALID_FOREIGN_KEY: 16,
  INVALID_WORKSPACE: 17,
  INVALID_UNIQUE_GLOBAL: 18,
  REFERENCED_BY_OTHERS: 19,
  INVALID_SEARCH_QUERY: 20,
  SYNC_DELTAS: 21,
} as const

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

const NAMES: Record<number, string> = {
  1: 'invalid primary key',
  2: 'schema violation',
  3: 'primary key violation',
  4: 'foreign key violation',
  5: 'unique constraint violation',
  6: 'not found',
  7: 'invalid offset',
  8: 'database error',
  9: 'invalid size',
  10: 'invalid unique %s',
  11: 'invalid options',
  12: 'operation unsupported',
  13: 'foreign keys unresolved',
  14: 'invalid declarative configuration',
  15: 'transformation error',
  16: 'invalid foreign key',
  17: 'invalid workspace',
  18: 'invalid global query',
  19: 'referenced by others',
  20: 'invalid search query',
  21: 'invalid sync deltas',
}

/** The JSON body of a DAO error, as the Admin API returns it. */
export interface DaoErrorBody {
  code: number
  name: string
  message: string
  fields?: unknown
  options?: unknown
}

export class DaoError extends Error {
  readonly code: ErrorCode
  readonly errorName: string
  readonly fields?: unknown

  constructor(code: ErrorCode, message: string, fields?: unknown, name?: string) {
    super(message)
    this.code = code
    this.errorName = name ?? NAMES[code]
    this.fields = fields
  }

  toJSON(): DaoErrorBody {
    const body: DaoErrorBody = { code: this.code, name: this.errorName, message: this.message }
    if (this.fields !== undefined) {
      if (this.code === ERROR_CODES.INVALID_OPTIONS) body.options = this.fields
      else body.fields = this.fields
    }
    return body
  }
}

function sortedKeys(o: object): string[] {
  return Object.keys(o).sort((a, b) => {
    const na = Number(a)
    const nb = Number(b)
    if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb
    return a < b ? -1 : a > b ? 1 : 0
  })
}

/** Kong renders array errors with 1-based indexes and without the valid (null) elements. */
function entriesOf(tree: FieldErrorTree): [string, unknown][] {
  if (Array.isArray(tree)) {
    const out: [string, unknown][] = []
    tree.forEach((v, i) => {
      if (v !== null && v !== undefined) out.push([String(i + 1), v])
    })
    return out
  }
  if (typeof tree === 'object') {
    const obj = tree as Record<string, unknown>
    return sortedKeys(obj).map((k) => [k, obj[k]])
  }
  return []
}

function luaShape(v: unknown): unknown {
  // Array errors are sparse Lua tables: render them keyed by 1-based index.
  if (Array.isArray(v)) {
    const out: Record<string, unknown> = {}
    v.forEach((x, i) => {
      if (x !== null && x !== undefined) out[String(i + 1)] = luaShape(x)
    })
    return out
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = luaShape(x)
    return out
  }
  return v
}

/** Flattens an error tree into Kong's `field: message` summary items. */
export function summarize(errors: FieldErrors): string[] {
  const items: string[] = []
  const entity = errors['@entity']
  if (Array.isArray(entity)) items.push(...(entity as string[]))
  for (const name of sortedKeys(errors)) {
    if (name === '@entity') continue
    const err = errors[name]
    if (err === undefined) continue
    if (typeof err === 'object' && err !== null) {
      for (const [sub, value] of entriesOf(err as FieldErrorTree)) {
        const shown =
          typeof value === 'object' && value !== null ? pretty(luaShape(value), '  ') : String(value)
        items.push(`${name}.${sub}: ${shown}`)
      }
    } else {
      items.push(`${name}: ${err}`)
    }
  }
  return items
}

export const errors = {
  schemaViolation(fields: FieldErrors): DaoError {
    const items = summarize(fields)
    const message =
      items.length === 1
        ? `schema violation (${items[0]})`
        : `${items.length} schema violations (${items.join('; ')})`
    return new DaoError(ERROR_CODES.SCHEMA_VIOLATION, message, fields)
  },
  invalidPrimaryKey(fields: Record<string, unknown>): DaoError {
    return new DaoError(ERROR_CODES.INVALID_PRIMARY_KEY, `invalid primary key: '${pretty(fields)}'`, fields)
  },
  primaryKeyViolation(pk: Record<string, unknown>): DaoError {
    return new DaoError(ERROR_CODES.PRIMARY_KEY_VIOLATION, `primary key violation on key '${pretty(pk)}'`, pk)
  },
  foreignKeyViolationInvalidReference(key: Record<string, unknown>, field: string, parent: string): DaoError {
    return new DaoError(
      ERROR_CODES.FOREIGN_KEY_VIOLATION,
      `the foreign key '${pretty(key)}' does not reference an existing '${parent}' entity.`,
      { [field]: key },
    )
  },
  foreignKeyViolationRestricted(parent: string, child: string): DaoError {
    return new DaoError(
      ERROR_CODES.FOREIGN_KEY_VIOLATION,
      `an existing '${child}' entity references this '${parent}' entity`,
      { '@referenced_by': child },
    )
  },
  /** `unresolved`: field → { unique field → { value, parent } }. */
  foreignKeysUnresolved(
    unresolved: Record<string, Record<string, { value: unknown; parent: string }>>,
  ): DaoError {
    const fields: Record<string, Record<string, string>> = {}
    const items: string[] = []
    for (const name of sortedKeys(unresolved)) {
      fields[name] = {}
      for (const sub of sortedKeys(unresolved[name])) {
        const { value, parent } = unresolved[name][sub]
        const msg = `the foreign key cannot be resolved with '${pretty({ [sub]: value })}' for an existing '${parent}' entity`
        fields[name][sub] = msg
        items.push(`${name}.${sub}: ${msg}`)
      }
    }
    const message =
      items.length === 1
        ? `foreign key unresolved (${items[0]})`
        : `${items.length} foreign keys unresolved (${items.join('; ')})`
    return new DaoError(ERROR_CODES.FOREIGN_KEYS_UNRESOLVED, message, fields)
  },
  uniqueViolation(key: Record<string, unknown>): DaoError {
    return new DaoError(ERROR_CODES.UNIQUE_VIOLATION, `UNIQUE violation detected on '${pretty(key)}'`, key)
  },
  notFound(pk: Record<string, unknown>): DaoError {
    return new DaoError(
      ERROR_CODES.NOT_FOUND,
      `could not find the entity with primary key '${pretty(pk)}'`,
      pk,
    )
  },
  notFoundByField(filter: Record<string, unknown>): DaoError {
    return new DaoError(ERROR_CODES.NOT_FOUND, `could not find the entity with '${pretty(filter)}'`, filter)
  },
  invalidOffset(offset: string, reason: string): DaoError {
    return new DaoError(ERROR_CODES.INVALID_OFFSET, `'${offset}' is not a valid offset: ${reason}`)
  },
  invalidSize(message: string): DaoError {
    return new DaoError(ERROR_CODES.INVALID_SIZE, message)
  },
  invalidUnique(field: string, message: string): DaoError {
    return new DaoError(ERROR_CODES.INVALID_UNIQUE, message, undefined, `invalid unique ${field}`)
  },
  invalidOptions(options: Record<string, string>): DaoError {
    const items = sortedKeys(options).map((k) => `${k}: ${options[k]}`)
    const message =
      items.length === 1
        ? `invalid option (${items[0]})`
        : `${items.length} option violations (${items.join('; ')})`
    return new DaoError(ERROR_CODES.INVALID_OPTIONS, message, options)
  },
  operationUnsupported(message: string): DaoError {
    return new DaoError(ERROR_CODES.OPERATION_UNSUPPORTED, message)
  },
  databaseError(message: string): DaoError {
    return new DaoError(ERROR_CODES.DATABASE_ERROR, message)
  },
  referencedByOthers(message: string): DaoError {
    return new DaoError(ERROR_CODES.REFERENCED_BY_OTHERS, message)
  },
  transformationError(message: string): DaoError {
    return new DaoError(ERROR_CODES.TRANSFORMATION_ERROR, `transformation failed: ${message}`)
  },
}
