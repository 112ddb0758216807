// The schema engine's field and record validation (entities.md §1.1, §17; Kong's schema library):
// types and their messages, the empty-string rule, field validators, nested records, unknown
// fields at every level, required fields, and subschemas.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errors } from '../dao/errors.js'
import { processAutoFields } from './auto-fields.js'
import { type Field, f } from './field.js'
import type { FieldErrors, RecordDefinition } from './record.js'
import { validateField, validateRecord } from './validate.js'

const UUID = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'

/** Insert-style validation: auto fields first, then a full check. */
function check(def: RecordDefinition, input: Record<string, unknown>): FieldErrors | undefined {
  const auto = processAutoFields(def, input, 'insert')
  if ('errors' in auto) return auto.errors
  return validateRecord(def, auto.value, {}, true)
}

describe('schema engine: field types', () => {
  const cases: [string, Field, unknown, string][] = [
    ['string', f.string(), 123, 'expected a string'],
    ['string (boolean)', f.string(), false, 'expected a string'],
    ['integer (fraction)', f.integer(), 1.5, 'expected an integer'],
    ['integer (JSON string is not coerced)', f.integer(), '80', 'expected an integer'],
    ['number', f.number(), 'x', 'expected a number'],
    ['number (numeric string)', f.number(), '1.5', 'expected a number'],
    ['boolean', f.boolean(), 'true', 'expected a boolean'],
    ['boolean (number)', f.boolean(), 1, 'expected a boolean'],
    ['array', f.array(f.string()), 'x', 'expected an array'],
    ['set', f.set(f.string()), 'x', 'expected a set'],
    ['map', f.map(f.string(), f.string()), 'x', 'expected a map'],
    ['map (non-empty array)', f.map(f.string(), f.string()), ['a'], 'expected a map'],
    ['record', f.record({ a: f.string() }), 'x', 'expected a record'],
    ['record (non-empty array)', f.record({ a: f.string() }), ['a'], 'expected a record'],
  ]
  for (const [name, field, value, message] of cases) {
    it(`${name}: ${message}`, () => {
      assert.equal(validateField(field, value), message)
    })
  }

  it('accepts values of the right type', () => {
    assert.equal(validateField(f.string(), 'x'), undefined)
    assert.equal(validateField(f.integer(), 80), undefined)
    assert.equal(validateField(f.integer(), -3), undefined)
    assert.equal(validateField(f.number(), 1.5), undefined)
    assert.equal(validateField(f.number(), 2), undefined)
    assert.equal(validateField(f.boolean(), false), undefined)
    assert.equal(validateField(f.array(f.string()), []), undefined)
    assert.equal(validateField(f.set(f.integer()), [1, 2]), undefined)
    assert.equal(validateField(f.map(f.string(), f.integer()), { a: 1 }), undefined)
    assert.equal(validateField(f.record({ a: f.string() }), { a: 'x' }), undefined)
  })

  it('an empty JSON object is accepted as an empty array/set (Lua tables)', () => {
    assert.equal(validateField(f.array(f.string()), {}), undefined)
    assert.equal(validateField(f.set(f.string()), {}), undefined)
  })

  it('foreign: a non-object or an object without id is a missing primary key', () => {
    assert.deepEqual(validateField(f.foreign('services'), 'x'), { id: 'missing primary key' })
    assert.deepEqual(validateField(f.foreign('services'), {}), { id: 'missing primary key' })
    assert.deepEqual(validateField(f.foreign('services'), { id: 'nope' }), { id: 'expected a valid UUID' })
    assert.deepEqual(validateField(f.foreign('services'), { id: null }), { id: 'required field missing' })
    assert.equal(validateField(f.foreign('services'), { id: UUID }), undefined)
  })
})

describe('schema engine: strings', () => {
  it('empty strings are invalid by default', () => {
    assert.equal(validateField(f.string(), ''), 'length must be at least 1')
  })

  it('unless the field allows them with len_min = 0', () => {
    assert.equal(validateField(f.string({ len_min: 0 }), ''), undefined)
  })

  it('empty string elements of arrays are invalid too', () => {
    assert.deepEqual(validateField(f.array(f.string()), ['a', '']), [null, 'length must be at least 1'])
  })
})

describe('schema engine: field validators and their messages', () => {
  const cases: [string, Field, unknown, string | undefined][] = [
    ['between (below)', f.integer({ between: [1, 10] }), 0, 'value should be between 1 and 10'],
    ['between (above)', f.integer({ between: [1, 10] }), 11, 'value should be between 1 and 10'],
    ['between (inclusive min)', f.integer({ between: [1, 10] }), 1, undefined],
    ['between (inclusive max)', f.integer({ between: [1, 10] }), 10, undefined],
    ['one_of', f.string({ one_of: ['a', 'b', 'c'] }), 'd', 'expected one of: a, b, c'],
    ['one_of (integers)', f.integer({ one_of: [426, 301] }), 200, 'expected one of: 426, 301'],
    ['not_one_of', f.string({ not_one_of: ['env', 'x'] }), 'env', 'must not be one of: env, x'],
    ['eq', f.string({ eq: 'x' }), 'y', 'value must be x'],
    ['eq null', f.string({ eq: null }), 'y', 'value must be null'],
    ['eq null with custom err', f.string({ eq: null, err: 'nope' }), 'y', 'nope'],
    ['eq false', f.boolean({ eq: false }), true, 'value must be false'],
    ['ne', f.boolean({ ne: true }), true, 'value must not be true'],
    ['ne with custom err', f.boolean({ ne: true, err: 'no true' }), true, 'no true'],
    ['gt', f.integer({ gt: 5 }), 5, 'value must be greater than 5'],
    ['len_eq (string)', f.string({ len_eq: 3 }), 'ab', 'length must be 3'],
    ['len_eq (array)', f.array(f.string(), { len_eq: 0 }), ['a'], 'length must be 0'],
    ['len_min', f.string({ len_min: 3 }), 'ab', 'length must be at least 3'],
    ['len_max', f.string({ len_max: 2 }), 'abc', 'length must be at most 2'],
    ['starts_with', f.string({ starts_with: '/' }), 'a', 'should start with: /'],
    ['match', f.string({ match: /^[A-Z]+$/ }), 'get', 'invalid value: get'],
    ['not_match', f.string({ not_match: /x/ }), 'axb', 'invalid value: axb'],
    [
      'match_all (first failing rule)',
      f.string({
        match_all: [
          { pattern: /^a/, err: 'must start with a' },
          { pattern: /b$/, err: 'must end with b' },
        ],
      }),
      'ac',
      'must end with b',
    ],
    [
      'match_none',
      f.string({ match_none: [{ pattern: /\/\//, err: 'must not have empty segments' }] }),
      '/a//b',
      'must not have empty segments',
    ],
    [
      'match_any',
      f.string({ match_any: { patterns: [/^\//, /^~\//], err: 'should start with: / or ~/' } }),
      'x',
      'should start with: / or ~/',
    ],
    ['contains', f.array(f.string(), { contains: 'x' }), ['a'], 'expected to contain: x'],
    ['uuid', f.string({ uuid: true }), 'nope', 'expected a valid UUID'],
    ['uuid (upper case accepted)', f.string({ uuid: true }), UUID.toUpperCase(), undefined],
    ['uuid (37 chars)', f.string({ uuid: true }), `${UUID}0`, 'expected a valid UUID'],
    ['timestamp', f.number({ timestamp: true }), -1, 'expected a valid timestamp'],
    [
      'custom_validator',
      f.string({ custom_validator: ((v: string) => (v === 'bad' ? 'bad value' : undefined)) as never }),
      'bad',
      'bad value',
    ],
    [
      'mutually_exclusive_subsets',
      f.set(f.string(), {
        mutually_exclusive_subsets: [
          ['http', 'https'],
          ['tcp', 'tls', 'udp'],
        ],
      }),
      ['http', 'tcp'],
      "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')",
    ],
  ]
  for (const [name, field, value, message] of cases) {
    it(`${name}`, () => {
      assert.deepEqual(validateField(field, value), message)
    })
  }

  it('type errors come before validators', () => {
    assert.equal(validateField(f.integer({ between: [1, 10] }), 'x'), 'expected an integer')
    assert.equal(validateField(f.string({ one_of: ['a'] }), 1), 'expected a string')
  })

  it('`err` replaces the message of any failing validator', () => {
    assert.equal(validateField(f.string({ match: /^a/, err: 'custom' }), 'b'), 'custom')
  })

  it('null fails `ne: null` and `eq: <value>` but passes `eq: null`', () => {
    assert.equal(validateField(f.string({ ne: null }), null), 'value must not be null')
    assert.equal(validateField(f.string({ eq: 'x' }), null), 'value must be x')
    assert.equal(validateField(f.string({ eq: null }), null), undefined)
  })

  it('null is required field missing only for required fields', () => {
    assert.equal(validateField(f.string({ required: true }), null), 'required field missing')
    assert.equal(validateField(f.string(), null), undefined)
  })
})

describe('schema engine: arrays, sets and maps', () => {
  it('reports element errors by position with null for valid elements', () => {
    assert.deepEqual(validateField(f.array(f.integer()), [1, 'x', 3, 'y']), [
      null,
      'expected an integer',
      null,
      'expected an integer',
    ])
    // Trailing valid elements are not encoded (Kong's sparse tables): ['msg'], not ['msg', null].
    assert.deepEqual(validateField(f.set(f.string({ one_of: ['a'] })), ['b', 'a']), ['expected one of: a'])
  })

  it('null elements are required field missing', () => {
    assert.deepEqual(validateField(f.array(f.string()), ['a', null]), [null, 'required field missing'])
  })

  it('validates record elements with nested error trees', () => {
    const field = f.array(f.record({ ip: f.string(), port: f.integer({ between: [0, 65535] }) }))
    assert.deepEqual(validateField(field, [{ ip: 'a' }, { port: 70000 }]), [
      null,
      { port: 'value should be between 0 and 65535' },
    ])
  })

  it('validates map keys and values', () => {
    const field = f.map(f.string({ match: /^[a-z]+$/ }), f.integer())
    assert.equal(validateField(field, { ABC: 1 }), 'invalid value: ABC')
    assert.equal(validateField(field, { abc: 'x' }), 'expected an integer')
    assert.equal(validateField(field, { abc: 1 }), undefined)
  })
})

describe('schema engine: records', () => {
  const def: RecordDefinition = {
    fields: {
      name: f.string({ required: true }),
      count: f.integer({ default: 1 }),
      nested: f.record({
        a: f.string(),
        deeper: f.record({ b: f.integer() }, { default: { b: 1 } }),
      }),
    },
  }

  it('reports unknown fields at the top level', () => {
    assert.deepEqual(check(def, { name: 'x', bogus: 1 }), { bogus: 'unknown field' })
  })

  it('reports unknown fields inside nested records, at every depth', () => {
    assert.deepEqual(check(def, { name: 'x', nested: { a: 'y', zzz: 1 } }), {
      nested: { zzz: 'unknown field' },
    })
    assert.deepEqual(check(def, { name: 'x', nested: { deeper: { b: 1, c: 2 } } }), {
      nested: { deeper: { c: 'unknown field' } },
    })
  })

  it('nests field errors of records', () => {
    assert.deepEqual(check(def, { name: 'x', nested: { a: 1, deeper: { b: 'q' } } }), {
      nested: { a: 'expected a string', deeper: { b: 'expected an integer' } },
    })
  })

  it('demands required fields on insert (missing and null)', () => {
    assert.deepEqual(check(def, {}), { name: 'required field missing' })
    assert.deepEqual(check(def, { name: null }), { name: 'required field missing' })
  })

  it('does not demand absent required fields on update, but refuses null', () => {
    assert.equal(validateRecord(def, { count: 2 }, { updating: true }, false), undefined)
    assert.deepEqual(validateRecord(def, { name: null }, { updating: true }, false), {
      name: 'required field missing',
    })
  })

  it('collects every field error at once', () => {
    assert.deepEqual(check(def, { count: 'x', other: true }), {
      name: 'required field missing',
      count: 'expected an integer',
      other: 'unknown field',
    })
  })

  it('ignores a client-supplied updated_at (not validated)', () => {
    const withTs: RecordDefinition = {
      fields: { updated_at: f.integer({ timestamp: true, auto: true }), a: f.string() },
    }
    assert.equal(validateRecord(withTs, { updated_at: 'garbage', a: 'x' }), undefined)
  })
})

describe('schema engine: subschemas', () => {
  const def: RecordDefinition = {
    fields: {
      kind: f.string({ required: true }),
      config: f.record({}, { required: true }),
      flag: f.boolean({ default: true }),
    },
    subschema_key: 'kind',
    subschemas: {
      one: {
        name: 'one',
        fields: {
          config: f.record({ size: f.integer({ required: true, default: 5 }) }, { required: true }),
          flag: f.boolean({ eq: false, default: false, err: "cannot set 'flag' for one" }),
        },
      },
    },
  }

  it('reports an unknown subschema with the default message', () => {
    assert.deepEqual(check(def, { kind: 'two', config: {} }), { kind: 'unknown type: two' })
  })

  it('reports a missing subschema key as required', () => {
    assert.deepEqual(check(def, { config: {} }), { kind: 'required field missing' })
  })

  it('uses the subschema fields for defaults and validation', () => {
    const auto = processAutoFields(def, { kind: 'one' }, 'insert')
    assert.ok('value' in auto)
    assert.deepEqual(auto.value, { kind: 'one', config: { size: 5 }, flag: false })
    assert.equal(validateRecord(def, auto.value), undefined)
  })

  it('subschema records reject unknown fields', () => {
    assert.deepEqual(check(def, { kind: 'one', config: { size: 1, other: 2 } }), {
      config: { other: 'unknown field' },
    })
  })

  it('a specialized field can force a value with a custom error', () => {
    assert.deepEqual(check(def, { kind: 'one', flag: true }), { flag: "cannot set 'flag' for one" })
  })

  it('uses the definition subschema_error for unknown keys', () => {
    const custom: RecordDefinition = { ...def, subschema_error: "plugin '%s' not enabled" }
    assert.deepEqual(check(custom, { kind: 'zzz' }), { kind: "plugin 'zzz' not enabled" })
  })
})

describe('schema engine: schema violation messages (admin-api.md §5.1)', () => {
  it('one item: schema violation (<field>: <msg>)', () => {
    const err = errors.schemaViolation({ host: 'required field missing' })
    assert.equal(err.message, 'schema violation (host: required field missing)')
    assert.equal(err.code, 2)
    assert.equal(err.errorName, 'schema violation')
  })

  it('several items: N schema violations, fields in lexicographic order', () => {
    const err = errors.schemaViolation({
      host: 'required field missing',
      connect_timeout: 'expected an integer',
    })
    assert.equal(
      err.message,
      '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
    )
    assert.deepEqual(err.toJSON(), {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
      fields: { connect_timeout: 'expected an integer', host: 'required field missing' },
    })
  })

  it('@entity messages come first', () => {
    const err = errors.schemaViolation({
      snis: 'length must be 0',
      '@entity': ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"],
    })
    assert.equal(
      err.message,
      "2 schema violations ('snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'; snis: length must be 0)",
    )
  })

  it('nested records add one level, array elements use their 1-based index', () => {
    const err = errors.schemaViolation({
      service: { protocol: 'expected one of: http' },
      paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'],
    })
    assert.equal(
      err.message,
      '2 schema violations (paths.2: should start with: / (fixed path) or ~/ (regex path); service.protocol: expected one of: http)',
    )
  })

  it('lexicographic order is by field name (underscore after uppercase, before lowercase)', () => {
    const err = errors.schemaViolation({ b: 'x', a_b: 'y', aa: 'z' })
    assert.equal(err.message, '3 schema violations (a_b: y; aa: z; b: x)')
  })
})
