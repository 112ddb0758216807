// Entity checks (cross-field rules) of the schema engine, with Kong's semantics and messages
// (entities.md §17): at_least_one_of, only_one_of, conditional, conditional_at_least_one_of,
// mutually_required, mutually_exclusive, mutually_exclusive_sets, distinct, custom_entity_check,
// and the "when updating" wording.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type EntityCheck, f } from './field.js'
import type { FieldErrors, RecordDefinition } from './record.js'
import { validateRecord } from './validate.js'

const fields = {
  a: f.number(),
  b: f.string(),
  c: f.string(),
  d: f.string(),
}

function schema(...checks: EntityCheck[]): RecordDefinition {
  return { fields, entity_checks: checks }
}

/** Insert: a complete entity (absent fields are null after auto fields). */
function insert(def: RecordDefinition, input: Record<string, unknown>): FieldErrors | undefined {
  const full: Record<string, unknown> = { a: null, b: null, c: null, d: null, ...input }
  return validateRecord(def, full, {}, true)
}

/** Kong's validate_update: partial input, "when updating" messages. */
function update(def: RecordDefinition, input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(def, input, { updating: true }, false)
}

describe('entity check: at_least_one_of', () => {
  const def = schema({ at_least_one_of: ['b', 'c'] })

  it('fails when all are empty', () => {
    assert.deepEqual(insert(def, {}), {
      '@entity': ["at least one of these fields must be non-empty: 'b', 'c'"],
    })
  })

  it('passes with one of them', () => {
    assert.equal(insert(def, { c: 'x' }), undefined)
  })

  it('treats empty arrays and maps as empty', () => {
    const d: RecordDefinition = {
      fields: { l: f.array(f.string()), m: f.map(f.string(), f.string()) },
      entity_checks: [{ at_least_one_of: ['l', 'm'] }],
    }
    assert.deepEqual(validateRecord(d, { l: [], m: {} }), {
      '@entity': ["at least one of these fields must be non-empty: 'l', 'm'"],
    })
  })

  it('runs even when a field is invalid', () => {
    const d = schema({ at_least_one_of: ['d'] })
    assert.deepEqual(insert(d, { a: 'x' }), {
      a: 'expected a number',
      '@entity': ["at least one of these fields must be non-empty: 'd'"],
    })
  })

  it('says "when updating" on updates', () => {
    assert.deepEqual(update(def, { b: null, c: null }), {
      '@entity': ["when updating, at least one of these fields must be non-empty: 'b', 'c'"],
    })
  })

  it('is not run on an update that touches none of its fields', () => {
    assert.equal(update(def, { a: 1 }), undefined)
  })
})

describe('entity check: only_one_of', () => {
  const def = schema({ only_one_of: ['b', 'c'] })

  it('fails with none and with both', () => {
    const msg = { '@entity': ["exactly one of these fields must be non-empty: 'b', 'c'"] }
    assert.deepEqual(insert(def, {}), msg)
    assert.deepEqual(insert(def, { b: 'x', c: 'y' }), msg)
  })

  it('passes with exactly one', () => {
    assert.equal(insert(def, { b: 'x' }), undefined)
  })
})

describe('entity check: mutually_required', () => {
  const def = schema({ mutually_required: ['b', 'c'] })

  it('accepts all or none', () => {
    assert.equal(insert(def, {}), undefined)
    assert.equal(insert(def, { b: 'x', c: 'y' }), undefined)
  })

  it('refuses one without the other', () => {
    assert.deepEqual(insert(def, { b: 'x' }), {
      '@entity': ["all or none of these fields must be set: 'b', 'c'"],
    })
  })
})

describe('entity check: mutually_exclusive', () => {
  const def = schema({ mutually_exclusive: ['b', 'c'] })

  it('accepts none or one', () => {
    assert.equal(insert(def, {}), undefined)
    assert.equal(insert(def, { c: 'y' }), undefined)
  })

  it('refuses both', () => {
    assert.deepEqual(insert(def, { b: 'x', c: 'y' }), {
      '@entity': ["only one or none of these fields must be set: 'b', 'c'"],
    })
  })
})

describe('entity check: mutually_exclusive_sets', () => {
  const def = schema({ mutually_exclusive_sets: { set1: ['a', 'b'], set2: ['c', 'd'] } })

  it('refuses members of both sets, listing the ones set', () => {
    assert.deepEqual(insert(def, { b: 'x', c: 'y' }), {
      '@entity': ["these sets are mutually exclusive: ('b'), ('c')"],
    })
  })

  it('accepts members of one set', () => {
    assert.equal(insert(def, { a: 1, b: 'x' }), undefined)
  })
})

describe('entity check: distinct', () => {
  const def = schema({ distinct: ['b', 'c'] })

  it('refuses equal non-empty values', () => {
    assert.deepEqual(insert(def, { b: 'x', c: 'x' }), {
      '@entity': ["values of these fields must be distinct: 'b', 'c'"],
    })
  })

  it('accepts different values and empty values', () => {
    assert.equal(insert(def, { b: 'x', c: 'y' }), undefined)
    assert.equal(insert(def, { b: 'x' }), undefined)
  })
})

describe('entity check: conditional', () => {
  it('sets the field error and the entity error', () => {
    const def = schema({
      conditional: {
        if_field: 'b',
        if_match: { one_of: ['tcp'] },
        then_field: 'c',
        then_match: { eq: null },
      },
    })
    assert.deepEqual(insert(def, { b: 'tcp', c: '/' }), {
      c: 'value must be null',
      '@entity': ["failed conditional validation given value of field 'b'"],
    })
    assert.equal(insert(def, { b: 'http', c: '/' }), undefined)
    assert.equal(insert(def, { b: 'tcp' }), undefined)
  })

  it('then_match required: required field missing', () => {
    const def = schema({
      conditional: {
        if_field: 'b',
        if_match: { match: /^header$/ },
        then_field: 'c',
        then_match: { required: true },
      },
    })
    assert.deepEqual(insert(def, { b: 'header' }), {
      c: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'b'"],
    })
    assert.equal(insert(def, { b: 'header', c: 'x' }), undefined)
  })

  it('can check on false', () => {
    const d: RecordDefinition = {
      fields: { a: f.boolean(), b: f.boolean() },
      entity_checks: [
        {
          conditional: {
            if_field: 'a',
            if_match: { eq: true },
            then_field: 'b',
            then_match: { eq: false },
            then_err: "can't have a and b at the same time",
          },
        },
      ],
    }
    assert.equal(validateRecord(d, { a: true, b: false }), undefined)
    const errs = validateRecord(d, { a: true, b: true })
    assert.deepEqual(errs?.['@entity'], ["can't have a and b at the same time"])
  })

  it('supports a custom error message with %s', () => {
    const def = schema({
      conditional: {
        if_field: 'a',
        if_match: { gt: 0 },
        then_field: 'c',
        then_match: { eq: null },
        then_err: "must not set 'c' if '%s' is like this",
      },
    })
    assert.deepEqual(insert(def, { a: 1, c: 'x' })?.['@entity'], ["must not set 'c' if 'a' is like this"])
  })

  it('on update, demands the if_field: field required for entity check when updating', () => {
    const def = schema({
      conditional: {
        if_field: 'b',
        if_match: { one_of: ['tcp'] },
        then_field: 'c',
        then_match: { eq: null },
      },
    })
    assert.deepEqual(update(def, { c: '/' }), { b: 'field required for entity check when updating' })
  })

  it('on insert without updating, the missing field message has no suffix', () => {
    const def = schema({
      conditional: {
        if_field: 'b',
        if_match: { one_of: ['tcp'] },
        then_field: 'c',
        then_match: { eq: null },
      },
    })
    assert.deepEqual(validateRecord(def, { c: '/' }, {}, false), { b: 'field required for entity check' })
  })
})

describe('entity check: conditional_at_least_one_of', () => {
  const base = schema({
    conditional_at_least_one_of: { if_field: 'a', if_match: { gt: 0 }, then_at_least_one_of: ['b', 'c'] },
  })

  it('fails when the condition holds and none is set', () => {
    assert.deepEqual(insert(base, { a: 1 }), {
      '@entity': ["at least one of these fields must be non-empty: 'b', 'c'"],
    })
    assert.equal(insert(base, { a: 1, b: 'foo' }), undefined)
  })

  it('does not run when the condition is false or the if_field is missing', () => {
    assert.equal(insert(base, { a: 0 }), undefined)
    assert.equal(validateRecord(base, { b: 'foo' }, {}, true), undefined)
  })

  it('works on updates, with the "when updating" prefix', () => {
    assert.equal(update(base, {}), undefined)
    assert.equal(update(base, { a: 123, b: 'foo' }), undefined)
    assert.deepEqual(update(base, { a: 123 }), {
      '@entity': ["when updating, at least one of these fields must be non-empty: 'b', 'c'"],
    })
  })

  it('supports an else clause', () => {
    const def = schema({
      conditional_at_least_one_of: {
        if_field: 'a',
        if_match: { gt: 0 },
        then_at_least_one_of: ['b', 'c'],
        else_match: { ne: 0 },
        else_then_at_least_one_of: ['c', 'd'],
      },
    })
    assert.deepEqual(insert(def, { a: -1 }), {
      '@entity': ["at least one of these fields must be non-empty: 'c', 'd'"],
    })
    assert.equal(insert(def, { a: -1, d: 'foo' }), undefined)
    assert.equal(insert(def, { a: 0 }), undefined)
  })

  it('supports custom then_err / else_then_err (kept unchanged when updating)', () => {
    const def = schema({
      conditional_at_least_one_of: {
        if_field: 'a',
        if_match: { gt: 0 },
        then_at_least_one_of: ['b', 'c'],
        then_err: "must set one of %s if 'a' is like this",
        else_match: { ne: 0 },
        else_then_at_least_one_of: ['c', 'd'],
        else_then_err: "must set one of %s if 'a' is like that",
      },
    })
    assert.deepEqual(insert(def, { a: 1 })?.['@entity'], ["must set one of 'b', 'c' if 'a' is like this"])
    assert.deepEqual(insert(def, { a: -1 })?.['@entity'], ["must set one of 'c', 'd' if 'a' is like that"])
    assert.deepEqual(update(def, { a: 1 })?.['@entity'], ["must set one of 'b', 'c' if 'a' is like this"])
  })
})

describe('entity check: custom_entity_check', () => {
  it('a string result is an entity error', () => {
    const def = schema({
      custom_entity_check: { field_sources: ['b'], fn: (e) => (e.b === 'bad' ? 'b is bad' : true) },
    })
    assert.deepEqual(insert(def, { b: 'bad' }), { '@entity': ['b is bad'] })
    assert.equal(insert(def, { b: 'good' }), undefined)
  })

  it('a map result gives field errors', () => {
    const def = schema({
      custom_entity_check: { field_sources: ['b'], fn: () => ({ b: 'wrong' }) },
    })
    assert.deepEqual(insert(def, { b: 'x' }), { b: 'wrong' })
  })

  it('is not run when one of its fields already has an error', () => {
    let ran = false
    const def = schema({
      custom_entity_check: {
        field_sources: ['a', 'b'],
        fn: () => {
          ran = true
          return 'ran'
        },
      },
    })
    assert.deepEqual(insert(def, { a: 'x', b: 'y' }), { a: 'expected a number' })
    assert.equal(ran, false)
  })

  it('is run with invalid fields when asked to', () => {
    const def = schema({
      custom_entity_check: { field_sources: ['a'], run_with_invalid_fields: true, fn: () => 'ran' },
    })
    assert.deepEqual(insert(def, { a: 'x' }), { a: 'expected a number', '@entity': ['ran'] })
  })

  it('demands its fields on partial input unless run_with_missing_fields', () => {
    const def = schema({ custom_entity_check: { field_sources: ['b', 'c'], fn: () => true } })
    assert.deepEqual(update(def, { b: 'x' }), { c: 'field required for entity check when updating' })
    const lenient = schema({
      custom_entity_check: { field_sources: ['b', 'c'], run_with_missing_fields: true, fn: () => true },
    })
    assert.equal(update(lenient, { b: 'x' }), undefined)
  })
})

describe('entity checks: several failures are collected in order', () => {
  it('keeps schema order of the checks in @entity', () => {
    const def = schema({ at_least_one_of: ['b'] }, { mutually_exclusive: ['c', 'd'] })
    assert.deepEqual(insert(def, { c: 'x', d: 'y' }), {
      '@entity': [
        "at least one of these fields must be non-empty: 'b'",
        "only one or none of these fields must be set: 'c', 'd'",
      ],
    })
  })

  it('checks on nested fields use dotted names', () => {
    const d: RecordDefinition = {
      fields: { r: f.record({ x: f.string(), y: f.string() }) },
      entity_checks: [{ at_least_one_of: ['r.x', 'r.y'] }],
    }
    assert.deepEqual(validateRecord(d, { r: { x: null, y: null } }), {
      '@entity': ["at least one of these fields must be non-empty: 'r.x', 'r.y'"],
    })
    assert.equal(validateRecord(d, { r: { x: 'a', y: null } }), undefined)
  })
})

describe('entity checks on partial updates (Kong validate_update)', () => {
  it('does not demand required fields', () => {
    const def: RecordDefinition = { fields: { f: f.number({ required: true }) } }
    assert.equal(update(def, { f: 123 }), undefined)
    assert.equal(update(def, {}), undefined)
  })

  it('only_one_of demands its interdependent fields', () => {
    const def = schema({ only_one_of: ['b', 'c'] })
    assert.deepEqual(update(def, { b: 'x' }), { c: 'field required for entity check when updating' })
    assert.deepEqual(update(def, { b: null, c: null }), {
      '@entity': ["exactly one of these fields must be non-empty: 'b', 'c'"],
    })
    assert.equal(update(def, { b: 'x', c: null }), undefined)
  })

  it('conditional checks with required then_fields', () => {
    const def: RecordDefinition = {
      fields: {
        policy: f.string({ one_of: ['redis', 'bla'], not_one_of: ['cluster'] }),
        redis_host: f.string(),
        redis_port: f.number(),
      },
      entity_checks: [
        {
          conditional: {
            if_field: 'policy',
            if_match: { match: /^redis$/ },
            then_field: 'redis_host',
            then_match: { required: true },
          },
        },
        {
          conditional: {
            if_field: 'policy',
            if_match: { match: /^redis$/ },
            then_field: 'redis_port',
            then_match: { required: true },
          },
        },
      ],
    }
    assert.ok(update(def, { policy: 'redis' }))
    assert.ok(update(def, { policy: 'redis', redis_host: null, redis_port: null }))
    assert.equal(update(def, { policy: 'redis', redis_host: 'example.com', redis_port: 80 }), undefined)
    assert.equal(update(def, { policy: 'bla' }), undefined)
    assert.deepEqual(update(def, { policy: 'cluster' }), { policy: 'must not be one of: cluster' })
  })

  it('mutually_required and mutually_exclusive only look at what is given', () => {
    const req: RecordDefinition = {
      fields: { a1: f.string(), a2: f.string(), a3: f.string() },
      entity_checks: [{ mutually_required: ['a2'] }, { mutually_required: ['a1', 'a3'] }],
    }
    assert.deepEqual(update(req, { a1: 'foo' }), {
      '@entity': ["all or none of these fields must be set: 'a1', 'a3'"],
    })
    assert.equal(update(req, { a2: 'foo' }), undefined)
    const excl: RecordDefinition = {
      fields: { a1: f.string(), a2: f.string(), a3: f.string() },
      entity_checks: [{ mutually_exclusive: ['a2'] }, { mutually_exclusive: ['a1', 'a3'] }],
    }
    assert.deepEqual(update(excl, { a1: 'foo', a3: 'foo' }), {
      '@entity': ["only one or none of these fields must be set: 'a1', 'a3'"],
    })
    assert.equal(update(excl, { a2: 'foo' }), undefined)
    assert.equal(update(excl, { a1: 'foo', a2: 'foo' }), undefined)
    assert.equal(update(excl, {}), undefined)
  })
})
