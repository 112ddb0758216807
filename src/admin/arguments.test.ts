// Admin API argument decoding (admin-api.md §2.3, §2.4): query strings and form bodies into
// structured objects, then schema-driven conversion (Kong's `infer`).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { coreSchemas } from '../db/schema/entities/index.js'
import type { EntitySchema } from '../db/schema/entity.js'
import { f } from '../db/schema/field.js'
import { PluginRegistry } from '../plugins/registry.js'
import { decodeArgs, inferRecord, inferValue, parseQueryPairs } from './arguments.js'

const { registry } = PluginRegistry.fromSetting(['bundled'])
const schemas = new Map(coreSchemas(registry.subschemas()).map((s) => [s.name, s] as const))
const schema = (name: string) => schemas.get(name) as EntitySchema

/** Form-encoded text → decoded object (as for POST/PUT/PATCH bodies by default). */
function form(text: string, allowMaps = true): Record<string, unknown> {
  return decodeArgs(parseQueryPairs(text), allowMaps)
}

describe('parseQueryPairs', () => {
  it('splits name/value pairs in order, decoding names and values', () => {
    assert.deepEqual(parseQueryPairs('a=1&b=x%20y&c=a+b'), [
      ['a', '1'],
      ['b', 'x y'],
      ['c', 'a b'],
    ])
  })

  it('a bare name is true, an empty value is the empty string', () => {
    assert.deepEqual(parseQueryPairs('flag&empty='), [
      ['flag', true],
      ['empty', ''],
    ])
  })

  it('skips empty parts and handles an empty string', () => {
    assert.deepEqual(parseQueryPairs(''), [])
    assert.deepEqual(parseQueryPairs('a=1&&b=2&'), [
      ['a', '1'],
      ['b', '2'],
    ])
  })

  it('decodes percent-encoded brackets in names', () => {
    assert.deepEqual(parseQueryPairs('a%5B%5D=x&b%5B1%5D=y'), [
      ['a[]', 'x'],
      ['b[1]', 'y'],
    ])
  })

  it('keeps malformed escapes instead of failing', () => {
    const pairs = parseQueryPairs('a=%ZZ&b=100%')
    assert.equal(pairs[0][1], '%ZZ')
    assert.equal(pairs[1][1], '100%')
  })

  it('values may contain =', () => {
    assert.deepEqual(parseQueryPairs('a=b=c'), [['a', 'b=c']])
  })

  it('decodes UTF-8', () => {
    assert.deepEqual(parseQueryPairs('name=%E5%86%86'), [['name', '円']])
  })
})

describe('decodeArgs', () => {
  it('plain names', () => {
    assert.deepEqual(form('a=1&b=2'), { a: '1', b: '2' })
  })

  it('repeated keys make an array', () => {
    assert.deepEqual(form('a=1&a=2'), { a: ['1', '2'] })
    assert.deepEqual(form('a=1&a=2&a=3'), { a: ['1', '2', '3'] })
  })

  it('a[]=x&a[]=y is an array in order', () => {
    assert.deepEqual(form('a[]=x&a[]=y'), { a: ['x', 'y'] })
  })

  it('repeated nested keys make an array too', () => {
    assert.deepEqual(form('config.key_names=a&config.key_names=b'), { config: { key_names: ['a', 'b'] } })
  })

  it('a[1]=x&a[2]=y is an array by 1-based position', () => {
    assert.deepEqual(form('a[1]=x&a[2]=y'), { a: ['x', 'y'] })
    assert.deepEqual(form('a[2]=y&a[1]=x'), { a: ['x', 'y'] })
  })

  it('a.b=x is a nested record, at any depth', () => {
    assert.deepEqual(form('a.b=x'), { a: { b: 'x' } })
    assert.deepEqual(form('a.b.c=x&a.b.d=y&a.e=z'), { a: { b: { c: 'x', d: 'y' }, e: 'z' } })
  })

  it('chains of records and arrays', () => {
    assert.deepEqual(form('config.key_names[1]=apikey'), { config: { key_names: ['apikey'] } })
    assert.deepEqual(form('config.key_names[1]=a&config.key_names[2]=b&config.hide_credentials=true'), {
      config: { key_names: ['a', 'b'], hide_credentials: 'true' },
    })
    assert.deepEqual(form('config.key_names[]=a&config.key_names[]=b'), { config: { key_names: ['a', 'b'] } })
    assert.deepEqual(form('a[1].b=x&a[2].b=y'), { a: [{ b: 'x' }, { b: 'y' }] })
  })

  it('a[key]=x is a map entry on write methods', () => {
    assert.deepEqual(form('headers[x-version]=v1'), { headers: { 'x-version': 'v1' } })
    assert.deepEqual(form('headers[x-version]=v1&headers[x-version]=v2'), {
      headers: { 'x-version': ['v1', 'v2'] },
    })
    assert.deepEqual(form('headers[x-a][]=1&headers[x-b][]=2'), { headers: { 'x-a': ['1'], 'x-b': ['2'] } })
  })

  it('map syntax is not decoded for other methods', () => {
    const decoded = form('headers[x-version]=v1', false)
    assert.equal(decoded.headers, undefined)
  })

  it('percent-encoded brackets work like brackets', () => {
    assert.deepEqual(form('a%5B%5D=x&a%5B%5D=y'), { a: ['x', 'y'] })
    assert.deepEqual(form('headers%5Bx-version%5D=v1'), { headers: { 'x-version': 'v1' } })
  })

  it('values are not converted at this stage', () => {
    assert.deepEqual(form('x=&y=true&z=10'), { x: '', y: 'true', z: '10' })
  })
})

describe('inferValue', () => {
  it('numbers (integers are not rounded)', () => {
    assert.equal(inferValue('2', f.number()), 2)
    assert.equal(inferValue('2', f.integer()), 2)
    assert.equal(inferValue('2.5', f.number()), 2.5)
    assert.equal(inferValue('2.5', f.integer()), 2.5)
    assert.equal(inferValue('-3', f.integer()), -3)
  })

  it('booleans', () => {
    assert.equal(inferValue('true', f.boolean()), true)
    assert.equal(inferValue('false', f.boolean()), false)
  })

  it('arrays and sets wrap scalars and convert elements', () => {
    assert.deepEqual(inferValue('a', f.array(f.string())), ['a'])
    assert.deepEqual(inferValue('2', f.array(f.number())), [2])
    assert.deepEqual(inferValue(['a'], f.array(f.string())), ['a'])
    assert.deepEqual(inferValue(['2'], f.set(f.number())), [2])
    assert.deepEqual(inferValue('a', f.set(f.string())), ['a'])
  })

  it('empty strings become null for every schema type', () => {
    for (const field of [
      f.string(),
      f.array(f.string()),
      f.set(f.string()),
      f.number(),
      f.integer(),
      f.boolean(),
      f.foreign('services'),
      f.map(f.string(), f.string()),
      f.record({}),
    ]) {
      assert.equal(inferValue('', field), null, field.type)
    }
  })

  it('without a field the value is left alone', () => {
    assert.equal(inferValue('', undefined), '')
  })

  it('maps and records are converted field by field', () => {
    assert.deepEqual(inferValue({ x: '1' }, f.map(f.string(), f.string())), { x: '1' })
    assert.deepEqual(inferValue({ x: '1' }, f.map(f.string(), f.number())), { x: 1 })
    assert.deepEqual(inferValue({ age: '1' }, f.record({ age: f.string() })), { age: '1' })
    assert.deepEqual(inferValue({ age: '1' }, f.record({ age: f.number() })), { age: 1 })
  })

  it('returns the value when inference is not possible', () => {
    assert.equal(inferValue('not number', f.number()), 'not number')
    assert.equal(inferValue('not integer', f.integer()), 'not integer')
    assert.equal(inferValue('not boolean', f.boolean()), 'not boolean')
  })
})

describe('inferRecord with entity schemas', () => {
  it('services: numbers, booleans, null, arrays, foreign keys, url shorthand', () => {
    const decoded = form(
      'name=svc&port=8080&retries=x&enabled=false&path=&tags=a&ca_certificates=11111111-2222-4333-8444-555555555555&client_certificate.id=11111111-2222-4333-8444-555555555555&url=http://a.test',
    )
    assert.deepEqual(inferRecord(decoded, schema('services')), {
      name: 'svc',
      port: 8080,
      retries: 'x',
      enabled: false,
      path: null,
      tags: ['a'],
      ca_certificates: ['11111111-2222-4333-8444-555555555555'],
      client_certificate: { id: '11111111-2222-4333-8444-555555555555' },
      url: 'http://a.test',
    })
  })

  it('routes: hosts=example.com ≡ hosts[]=example.com; service.name; headers map of arrays', () => {
    assert.deepEqual(inferRecord(form('hosts=example.com'), schema('routes')), { hosts: ['example.com'] })
    assert.deepEqual(inferRecord(form('hosts[]=example.com'), schema('routes')), { hosts: ['example.com'] })
    assert.deepEqual(
      inferRecord(form('service.name=billing&strip_path=false&regex_priority=5'), schema('routes')),
      {
        service: { name: 'billing' },
        strip_path: false,
        regex_priority: 5,
      },
    )
    assert.deepEqual(inferRecord(form('headers[x-version]=v1&protocols=http'), schema('routes')), {
      headers: { 'x-version': ['v1'] },
      protocols: ['http'],
    })
  })

  it('plugins: config converted with the schema of the plugin named in `name`', () => {
    assert.deepEqual(
      inferRecord(
        form('name=key-auth&config.key_names=apikey&config.hide_credentials=true&config.foo=1'),
        schema('plugins'),
      ),
      {
        name: 'key-auth',
        config: { key_names: ['apikey'], hide_credentials: true, foo: '1' },
      },
    )
  })

  it('upstreams: nested healthchecks records', () => {
    assert.deepEqual(
      inferRecord(
        form('name=u&healthchecks.active.timeout=5&healthchecks.active.healthy.http_statuses=200&slots=100'),
        schema('upstreams'),
      ),
      { name: 'u', healthchecks: { active: { timeout: 5, healthy: { http_statuses: [200] } } }, slots: 100 },
    )
  })

  it('unknown keys stay strings', () => {
    assert.deepEqual(inferRecord(form('foo=1&host=a.test'), schema('services')), { foo: '1', host: 'a.test' })
  })

  it('empty values clear fields', () => {
    assert.deepEqual(inferRecord(form('username=&custom_id=x'), schema('consumers')), {
      username: null,
      custom_id: 'x',
    })
  })
})
