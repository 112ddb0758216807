// Validation messages. The wording is Kong's: clients and tests compare these strings.

export const MESSAGES = {
  ARRAY: 'expected an array',
  SET: 'expected a set',
  MAP: 'expected a map',
  RECORD: 'expected a record',
  STRING: 'expected a string',
  NUMBER: 'expected a number',
  BOOLEAN: 'expected a boolean',
  INTEGER: 'expected an integer',
  EQ: 'value must be %s',
  NE: 'value must not be %s',
  GT: 'value must be greater than %s',
  BETWEEN: 'value should be between %s and %s',
  LEN_EQ: 'length must be %s',
  LEN_MIN: 'length must be at least %s',
  LEN_MAX: 'length must be at most %s',
  MATCH: 'invalid value: %s',
  NOT_MATCH: 'invalid value: %s',
  STARTS_WITH: 'should start with: %s',
  CONTAINS: 'expected to contain: %s',
  ONE_OF: 'expected one of: %s',
  NOT_ONE_OF: 'must not be one of: %s',
  IS_REGEX: 'not a valid regex: %s',
  TIMESTAMP: 'expected a valid timestamp',
  UUID: 'expected a valid UUID',
  VALIDATION: 'failed validating: %s',
  REQUIRED: 'required field missing',
  UNKNOWN: 'unknown field',
  IMMUTABLE: 'immutable field cannot be updated',
  REQUIRED_FOR_ENTITY_CHECK: 'field required for entity check',
  ENTITY_CHECK: 'failed entity check: %s(%s)',
  CHECK: 'entity check failed',
  CONDITIONAL: "failed conditional validation given value of field '%s'",
  AT_LEAST_ONE_OF: 'at least one of these fields must be non-empty: %s',
  CONDITIONAL_AT_LEAST_ONE_OF: 'at least one of these fields must be non-empty: %s',
  ONLY_ONE_OF: 'exactly one of these fields must be non-empty: %s',
  DISTINCT: 'values of these fields must be distinct: %s',
  MUTUALLY_REQUIRED: 'all or none of these fields must be set: %s',
  MUTUALLY_EXCLUSIVE: 'only one or none of these fields must be set: %s',
  MUTUALLY_EXCLUSIVE_SETS: 'these sets are mutually exclusive: %s',
  NOT_PK: 'not a primary key',
  MISSING_PK: 'missing primary key',
  SUBSCHEMA_UNKNOWN: 'unknown type: %s',
} as const

export type MessageKey = keyof typeof MESSAGES

/** `format('a %s b %s', x, y)`: positional `%s` substitution. */
export function format(template: string, ...args: unknown[]): string {
  let i = 0
  return template.replace(/%s/g, () => String(args[i++]))
}

/** `['a', 'b']` → `'a', 'b'`; nested lists become `('a', 'b'), ('c')`. */
export function quotedList(words: readonly (string | readonly string[])[]): string {
  return words.map((w) => (typeof w === 'string' ? `'${w}'` : `(${quotedList(w)})`)).join(', ')
}
