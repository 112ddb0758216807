import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { isUnsetDefault, PROPERTIES, PROPERTY_NAMES, type PropertySpec } from './defaults.js'
import { typeValue } from './values.js'

describe('property table', () => {
  it('has the Silverback defaults', () => {
    assert.equal(PROPERTIES.database.default, 'sqlite')
    assert.deepEqual(PROPERTIES.database.values, ['sqlite', 'postgres', 'off'])
    assert.equal(PROPERTIES.sqlite_path.default, 'silverback.db')
    assert.equal(PROPERTIES.nginx_daemon.default, 'off')
    assert.equal(PROPERTIES.nginx_main_daemon.default, 'off')
    assert.equal(PROPERTIES.prefix.default, '/usr/local/kong/')
    assert.equal(PROPERTIES.plugins.default, 'bundled')
  })

  it('gives every property a default that passes its own type', () => {
    for (const name of PROPERTY_NAMES) {
      const spec: PropertySpec = PROPERTIES[name]
      if (isUnsetDefault(spec.default)) continue
      const typed = typeValue(name, spec, spec.type === 'array' ? spec.default.split(',') : spec.default)
      assert.ok(typed.ok, `${name}: ${typed.ok ? '' : typed.error}`)
      if (spec.type === 'enum') assert.ok(spec.values?.includes(spec.default), name)
    }
  })

  it('is documented in docs/configuration.md, property by property, with the same defaults', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
    const reference = doc.slice(doc.indexOf('## Property reference'))
    const rows = new Map<string, string>()
    for (const match of reference.matchAll(/^\|\s*`([a-z0-9_]+)`\s*\|\s*`([^`]*)`\s*\|/gm)) {
      assert.ok(!rows.has(match[1]), `${match[1]} is documented twice`)
      rows.set(match[1], match[2])
    }
    for (const name of PROPERTY_NAMES) {
      const documented = rows.get(name)
      assert.notEqual(documented, undefined, `${name} is missing from docs/configuration.md`)
      const expected: string = PROPERTIES[name].default
      assert.equal(documented, isUnsetDefault(expected) ? 'NONE' : expected, `default of ${name}`)
    }
    for (const name of rows.keys())
      assert.ok(name in PROPERTIES, `${name} is documented but not in the table`)
  })
})
