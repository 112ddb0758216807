// The plugins schema (entities.md §5) with the bundled key-auth plugin type: subschema by name,
// the not-enabled message, config defaults and validation, scopes and protocols.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pluginSchema } from '../../../plugins/definition.js'
import { PluginRegistry } from '../../../plugins/registry.js'
import { errors } from '../../dao/errors.js'
import { processAutoFields } from '../auto-fields.js'
import type { EntitySchema } from '../entity.js'
import { f } from '../field.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas } from './index.js'

const { registry } = PluginRegistry.fromSetting(['bundled'])
const plugins = coreSchemas(registry.subschemas()).find((s) => s.name === 'plugins') as EntitySchema

const UUID = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'

function prepare(input: Record<string, unknown>, context: 'insert' | 'update' = 'insert') {
  const res = processAutoFields(plugins, input, context)
  assert.ok('value' in res)
  return res.value
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(plugins, prepare(input), {}, true)
}

const KEY_AUTH_CONFIG = {
  key_names: ['apikey'],
  hide_credentials: false,
  anonymous: null,
  key_in_header: true,
  key_in_query: true,
  key_in_body: false,
  run_on_preflight: true,
  realm: null,
}

describe('plugins schema: name and subschemas', () => {
  it('name is required', () => {
    assert.deepEqual(check({}), { name: 'required field missing' })
    assert.deepEqual(check({ name: null }), { name: 'required field missing' })
  })

  it('an unknown plugin is not enabled', () => {
    assert.deepEqual(check({ name: 'foo' }), {
      name: "plugin 'foo' not enabled; add it to the 'plugins' configuration property",
    })
    assert.equal(
      errors.schemaViolation(check({ name: 'foo' })!).message,
      "schema violation (name: plugin 'foo' not enabled; add it to the 'plugins' configuration property)",
    )
  })

  it('a plugin of another node is not enabled either', () => {
    const bare = coreSchemas({}).find((s) => s.name === 'plugins') as EntitySchema
    const res = processAutoFields(bare, { name: 'key-auth' }, 'insert')
    assert.ok('value' in res)
    assert.deepEqual(validateRecord(bare, res.value), {
      name: "plugin 'key-auth' not enabled; add it to the 'plugins' configuration property",
    })
    coreSchemas(registry.subschemas())
  })
})

describe('plugins schema: key-auth', () => {
  it('fills every field and the full config with defaults', () => {
    const p = prepare({ name: 'key-auth' })
    assert.equal(validateRecord(plugins, p), undefined)
    const { id, created_at, updated_at, ...rest } = p
    assert.match(String(id), /^[0-9a-f-]{36}$/)
    assert.ok(Number.isInteger(created_at))
    assert.equal(created_at, updated_at)
    assert.deepEqual(rest, {
      name: 'key-auth',
      instance_name: null,
      route: null,
      service: null,
      consumer: null,
      config: KEY_AUTH_CONFIG,
      protocols: ['grpc', 'grpcs', 'http', 'https'],
      enabled: true,
      tags: null,
    })
  })

  it('merges a partial config with the defaults', () => {
    const p = prepare({
      name: 'key-auth',
      config: { key_names: ['x-key', 'apikey'], hide_credentials: true },
    })
    assert.deepEqual(p.config, { ...KEY_AUTH_CONFIG, key_names: ['x-key', 'apikey'], hide_credentials: true })
    assert.equal(validateRecord(plugins, p), undefined)
  })

  it('rejects unknown config fields', () => {
    assert.deepEqual(check({ name: 'key-auth', config: { foo: 1 } }), { config: { foo: 'unknown field' } })
    assert.equal(
      errors.schemaViolation(check({ name: 'key-auth', config: { foo: 1 } })!).message,
      'schema violation (config.foo: unknown field)',
    )
  })

  it('validates config fields', () => {
    assert.deepEqual(check({ name: 'key-auth', config: { hide_credentials: 'yes' } }), {
      config: { hide_credentials: 'expected a boolean' },
    })
    assert.deepEqual(check({ name: 'key-auth', config: { key_names: ['ok', 'bad name'] } }), {
      config: {
        key_names: [null, "bad header name 'bad name', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
      },
    })
    assert.deepEqual(check({ name: 'key-auth', config: { key_names: null } }), {
      config: { key_names: 'required field missing' },
    })
    assert.equal(
      errors.schemaViolation(check({ name: 'key-auth', config: { key_names: null } })!).message,
      'schema violation (config.key_names: required field missing)',
    )
  })

  it('config is required', () => {
    assert.deepEqual(check({ name: 'key-auth', config: null }), { config: 'required field missing' })
  })

  it('cannot be scoped to a consumer', () => {
    assert.deepEqual(check({ name: 'key-auth', consumer: { id: UUID } }), { consumer: 'value must be null' })
  })

  it('can be scoped to a route and/or a service', () => {
    assert.equal(check({ name: 'key-auth', route: { id: UUID }, service: { id: UUID } }), undefined)
  })

  it('protocols are limited to the HTTP protocols', () => {
    assert.deepEqual(check({ name: 'key-auth', protocols: ['http', 'tcp'] }), {
      protocols: [null, 'expected one of: grpc, grpcs, http, https'],
    })
    assert.equal(check({ name: 'key-auth', protocols: ['https'] }), undefined)
  })

  it('protocols are required', () => {
    assert.deepEqual(check({ name: 'key-auth', protocols: null }), { protocols: 'required field missing' })
  })

  it('instance_name is a utf8 name', () => {
    assert.deepEqual(check({ name: 'key-auth', instance_name: 'a b' }), {
      instance_name:
        "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    })
    assert.equal(check({ name: 'key-auth', instance_name: 'ka-1' }), undefined)
  })

  it('enabled must be a boolean', () => {
    assert.deepEqual(check({ name: 'key-auth', enabled: 'no' }), { enabled: 'expected a boolean' })
  })

  it('foreign scopes must be ids', () => {
    assert.deepEqual(check({ name: 'key-auth', service: { id: 'x' } }), {
      service: { id: 'expected a valid UUID' },
    })
    assert.deepEqual(check({ name: 'key-auth', service: {} }), { service: { id: 'missing primary key' } })
  })

  it('rejects unknown top-level fields', () => {
    assert.deepEqual(check({ name: 'key-auth', foo: 1 }), { foo: 'unknown field' })
  })
})

describe('plugins schema: scope restrictions of plugin types (no_route, no_service, no_consumer)', () => {
  const config = { string: f.string({ required: true }) }
  const custom = coreSchemas({
    'with-no-route': pluginSchema({ name: 'with-no-route', noRoute: true, config }),
    'with-no-service': pluginSchema({ name: 'with-no-service', noService: true, config }),
    'with-no-consumer': pluginSchema({ name: 'with-no-consumer', noConsumer: true, config }),
  }).find((s) => s.name === 'plugins') as EntitySchema
  coreSchemas(registry.subschemas())

  const run = (input: Record<string, unknown>) => {
    const res = processAutoFields(custom, input, 'insert')
    assert.ok('value' in res)
    return validateRecord(custom, res.value)
  }

  for (const [name, field] of [
    ['with-no-route', 'route'],
    ['with-no-service', 'service'],
    ['with-no-consumer', 'consumer'],
  ]) {
    it(`${name}: ${field} must be null`, () => {
      assert.deepEqual(run({ name, [field]: { id: UUID }, config: { string: 'foo' } }), {
        [field]: 'value must be null',
      })
      assert.equal(run({ name, config: { string: 'foo' } }), undefined)
    })
  }

  it('a required config field without default is reported under config', () => {
    assert.deepEqual(run({ name: 'with-no-route' }), { config: { string: 'required field missing' } })
  })
})
