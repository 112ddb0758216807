// The targets schema (entities.md §7). Normalization and the default port are DAO behaviour
// (src/db/dao tests); here: fields, defaults, messages.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { processAutoFields } from '../auto-fields.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas, targets } from './index.js'

coreSchemas({})

const UP = { id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' }

function prepare(input: Record<string, unknown>) {
  const res = processAutoFields(targets, input, 'insert')
  assert.ok('value' in res)
  return res.value
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(targets, prepare(input), {}, true)
}

describe('targets schema', () => {
  it('defaults: weight 100, tags null, timestamps with millisecond precision', () => {
    const before = Date.now() / 1000
    const t = prepare({ upstream: UP, target: 'a.test:80' })
    assert.equal(t.weight, 100)
    assert.equal(t.tags, null)
    assert.equal(t.created_at, t.updated_at)
    const ts = t.created_at as number
    assert.ok(ts >= Math.floor(before * 1000) / 1000 && ts <= Date.now() / 1000 + 1, String(ts))
    assert.equal(Math.round(ts * 1000) / 1000, ts)
    assert.equal(check({ upstream: UP, target: 'a.test:80' }), undefined)
  })

  it('upstream and target are required', () => {
    assert.deepEqual(check({}), { upstream: 'required field missing', target: 'required field missing' })
  })

  it('target must be a hostname or IP with optional port', () => {
    for (const target of ['a b', 'a..b', 'a.test:99999', '[::1', 'exa*mple.test']) {
      assert.deepEqual(
        check({ upstream: UP, target }),
        { target: `Invalid target ('${target}'); not a valid hostname or ip address` },
        target,
      )
    }
    for (const target of ['konghq.test', 'konghq.test:80', '10.0.0.1', '10.0.0.1:8080', '::1', '[::1]:81']) {
      assert.equal(check({ upstream: UP, target }), undefined, target)
    }
  })

  it('target cannot be empty', () => {
    assert.deepEqual(check({ upstream: UP, target: '' }), { target: 'length must be at least 1' })
  })

  it('weight between 0 and 65535', () => {
    assert.deepEqual(check({ upstream: UP, target: 'a.test', weight: -1 }), {
      weight: 'value should be between 0 and 65535',
    })
    assert.deepEqual(check({ upstream: UP, target: 'a.test', weight: 65536 }), {
      weight: 'value should be between 0 and 65535',
    })
    assert.equal(check({ upstream: UP, target: 'a.test', weight: 0 }), undefined)
    assert.equal(check({ upstream: UP, target: 'a.test', weight: 65535 }), undefined)
  })

  it('upstream must be a foreign key', () => {
    assert.deepEqual(check({ upstream: { id: 'x' }, target: 'a.test' }), {
      upstream: { id: 'expected a valid UUID' },
    })
  })
})
