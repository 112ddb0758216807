// processAutoFields (defaults, generated ids/timestamps/strings, set de-duplication, shorthand
// fields) and mergeValues (PATCH merge), entities.md §1.1–1.3 and admin-api.md §7.4.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Clock, mergeValues, processAutoFields } from './auto-fields.js'
import { f } from './field.js'
import type { RecordDefinition } from './record.js'
import { typedefs } from './typedefs.js'
import { validateRecord } from './validate.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const clock: Clock = { now: () => 1700000000.1239 }

function auto(
  def: RecordDefinition,
  input: Record<string, unknown>,
  context: 'insert' | 'upsert' | 'update' | 'select' = 'insert',
): Record<string, unknown> {
  const res = processAutoFields(def, input, context, clock)
  assert.ok('value' in res, JSON.stringify(res))
  return res.value
}

describe('processAutoFields: defaults', () => {
  const def: RecordDefinition = {
    fields: {
      s: f.string({ default: 'dflt' }),
      n: f.integer({ default: 0 }),
      off: f.boolean({ default: false }),
      on: f.boolean({ default: true }),
      opt: f.string(),
      list: f.array(f.string(), { default: ['a', 'b'] }),
      req: f.number({ required: true }),
    },
  }

  it('fills defaults and null for absent optional fields on insert', () => {
    assert.deepEqual(auto(def, {}), {
      s: 'dflt',
      n: 0,
      off: false,
      on: true,
      opt: null,
      list: ['a', 'b'],
    })
  })

  it('honors false/true given explicitly', () => {
    assert.equal(auto(def, { off: true }).off, true)
    assert.equal(auto(def, { on: false }).on, false)
  })

  it('keeps an explicit null (no default)', () => {
    assert.equal(auto(def, { s: null }).s, null)
  })

  it('does not produce required fields without default (validation reports them)', () => {
    assert.equal(Object.hasOwn(auto(def, {}), 'req'), false)
  })

  it('upsert fills defaults like insert', () => {
    assert.equal(auto(def, {}, 'upsert').s, 'dflt')
  })

  it('does not produce absent fields on update', () => {
    assert.deepEqual(auto(def, { n: 3 }, 'update'), { n: 3 })
  })

  it('copies defaults (no shared mutable default)', () => {
    const a = auto(def, {})
    ;(a.list as string[]).push('c')
    assert.deepEqual(auto(def, {}).list, ['a', 'b'])
  })

  it('lets invalid values pass unchanged', () => {
    assert.equal(auto(def, { n: 'x' }).n, 'x')
  })
})

describe('processAutoFields: nested records', () => {
  const def: RecordDefinition = {
    fields: {
      nested_record: f.record(
        {
          r: f.record({ a: f.string({ default: 'nr' }), b: f.number({ default: 123 }) }, { required: true }),
        },
        { required: true },
      ),
    },
  }

  it('nested defaults in required records produce a default record', () => {
    assert.deepEqual(auto(def, {}).nested_record, { r: { a: 'nr', b: 123 } })
  })

  it('fills missing sub-fields of a partial record', () => {
    assert.deepEqual(auto(def, { nested_record: { r: { a: 'x' } } }).nested_record, { r: { a: 'x', b: 123 } })
  })

  it('null in a required record stays null on insert and fails validation', () => {
    const v = auto(def, { nested_record: null })
    assert.equal(v.nested_record, null)
    assert.deepEqual(validateRecord(def, v), { nested_record: 'required field missing' })
  })

  it('records with a default are expanded with that default', () => {
    const d: RecordDefinition = {
      fields: {
        hc: f.record(
          { x: f.integer({ default: 1 }), y: f.integer({ default: 2 }) },
          { default: { x: 1, y: 2 } },
        ),
      },
    }
    assert.deepEqual(auto(d, {}).hc, { x: 1, y: 2 })
    assert.deepEqual(auto(d, { hc: { x: 5 } }).hc, { x: 5, y: 2 })
  })

  it('on update, only given sub-fields are produced', () => {
    assert.deepEqual(auto(def, { nested_record: { r: { a: 'x' } } }, 'update'), {
      nested_record: { r: { a: 'x' } },
    })
  })
})

describe('processAutoFields: sets', () => {
  const def: RecordDefinition = { fields: { s: f.set(f.string()), a: f.array(f.string()) } }
  const cases: [string[], string[]][] = [
    [[], []],
    [['foo'], ['foo']],
    [
      ['foo', 'bar'],
      ['foo', 'bar'],
    ],
    [
      ['bar', 'foo'],
      ['bar', 'foo'],
    ],
    [
      ['foo', 'foo', 'bar'],
      ['foo', 'bar'],
    ],
    [
      ['foo', 'bar', 'foo'],
      ['foo', 'bar'],
    ],
    [['foo', 'foo', 'foo'], ['foo']],
    [
      ['bar', 'foo', 'foo'],
      ['bar', 'foo'],
    ],
  ]
  for (const [input, output] of cases) {
    it(`removes duplicates preserving order: ${JSON.stringify(input)}`, () => {
      assert.deepEqual(auto(def, { s: input }).s, output)
    })
  }

  it('arrays keep duplicates', () => {
    assert.deepEqual(auto(def, { a: ['x', 'x'] }).a, ['x', 'x'])
  })

  it('an empty JSON object for a set or array becomes []', () => {
    assert.deepEqual(auto(def, { s: {}, a: {} }), { s: [], a: [] })
  })
})

describe('processAutoFields: generated values', () => {
  const def: RecordDefinition = {
    fields: {
      id: typedefs.uuid,
      created_at: typedefs.autoTimestampS,
      updated_at: typedefs.autoTimestampS,
      secret: f.string({ auto: true }),
    },
  }
  const ms: RecordDefinition = {
    fields: { created_at: typedefs.autoTimestampMs, updated_at: typedefs.autoTimestampMs },
  }

  it('generates a random v4 UUID when absent', () => {
    const a = auto(def, {})
    const b = auto(def, {})
    assert.match(String(a.id), UUID_V4)
    assert.notEqual(a.id, b.id)
  })

  it('keeps a client-supplied id', () => {
    assert.equal(
      auto(def, { id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' }).id,
      'cbb297c0-a956-486d-ad1d-f9b42df9465a',
    )
  })

  it('generates 32-character [A-Za-z0-9] strings for auto strings', () => {
    assert.match(String(auto(def, {}).secret), /^[A-Za-z0-9]{32}$/)
  })

  it('timestamps in seconds are integers', () => {
    const v = auto(def, {})
    assert.equal(v.created_at, 1700000000)
    assert.equal(v.updated_at, 1700000000)
  })

  it('number timestamps keep millisecond precision', () => {
    const v = auto(ms, {})
    assert.equal(v.created_at, 1700000000.123)
    assert.equal(v.updated_at, 1700000000.123)
  })

  it('keeps a client created_at and overwrites updated_at', () => {
    const v = auto(def, { created_at: 42, updated_at: 43 })
    assert.equal(v.created_at, 42)
    assert.equal(v.updated_at, 1700000000)
  })

  it('update sets updated_at but not created_at nor id', () => {
    assert.deepEqual(auto(def, {}, 'update'), { updated_at: 1700000000 })
  })

  it('select does not generate anything', () => {
    assert.deepEqual(auto(def, { id: 'x' }, 'select'), {
      id: 'x',
      created_at: null,
      updated_at: null,
      secret: null,
    })
  })
})

describe('processAutoFields: shorthand fields', () => {
  const def: RecordDefinition = {
    fields: { a: f.string(), b: f.string(), n: f.integer() },
    shorthand_fields: {
      ab: {
        field: f.string(),
        expand: (v: string) => {
          const [a, b] = v.split(':')
          return { a, b }
        },
      },
    },
  }

  it('expands into real fields and removes the shorthand', () => {
    assert.deepEqual(auto(def, { ab: 'x:y' }), { a: 'x', b: 'y', n: null })
  })

  it('takes precedence over explicit fields', () => {
    assert.deepEqual(auto(def, { a: 'q', ab: 'x:y' }), { a: 'x', b: 'y', n: null })
  })

  it('type-checks the shorthand value', () => {
    assert.deepEqual(processAutoFields(def, { ab: 1 }, 'insert'), { errors: { ab: 'expected a string' } })
  })
})

describe('mergeValues', () => {
  const def: RecordDefinition = {
    fields: {
      name: f.string(),
      config: f.record({
        foo: f.string(),
        bar: f.string(),
        list: f.array(f.string()),
        inner: f.record({ x: f.integer(), y: f.integer() }),
        m: f.map(f.string(), f.string()),
      }),
      tags: f.set(f.string()),
    },
  }
  const old = {
    name: 'test',
    config: { foo: 'dog', bar: 'cat', list: ['a', 'b'], inner: { x: 1, y: 2 }, m: { k1: 'v1', k2: 'v2' } },
    tags: ['t1', 't2'],
  }

  it('merges records key by key, recursively', () => {
    const merged = mergeValues(def, { config: { foo: 'pig', inner: { x: 9 } } }, old)
    assert.deepEqual(merged, {
      name: 'test',
      config: { foo: 'pig', bar: 'cat', list: ['a', 'b'], inner: { x: 9, y: 2 }, m: { k1: 'v1', k2: 'v2' } },
      tags: ['t1', 't2'],
    })
  })

  it('replaces arrays, sets and maps whole', () => {
    const merged = mergeValues(def, { config: { list: ['z'], m: { k3: 'v3' } }, tags: ['t3'] }, old)
    assert.deepEqual((merged.config as Record<string, unknown>).list, ['z'])
    assert.deepEqual((merged.config as Record<string, unknown>).m, { k3: 'v3' })
    assert.deepEqual(merged.tags, ['t3'])
  })

  it('null clears a field (also a record)', () => {
    const merged = mergeValues(def, { name: null, config: null }, old)
    assert.equal(merged.name, null)
    assert.equal(merged.config, null)
  })

  it('does not modify its inputs', () => {
    const top = { config: { foo: 'pig' } }
    const copy = structuredClone(old)
    mergeValues(def, top, copy)
    assert.deepEqual(copy, old)
    assert.deepEqual(top, { config: { foo: 'pig' } })
  })
})
