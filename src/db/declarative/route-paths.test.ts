import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatDeclarativeError } from './errors.js'
import { load, loadError, rowOf } from './fixtures.test.js'
import { migratePath, migrateRoutePaths } from './route-paths.js'

describe('migratePath (format 1.1/2.1 route paths)', () => {
  it('normalizes plain paths', () => {
    assert.equal(migratePath('/prefix'), '/prefix')
    assert.equal(migratePath('/a/./b/../c'), '/a/c')
    assert.equal(migratePath('/a//b'), '/a/b')
    // Escapes of unreserved characters are decoded, reserved ones upper-cased.
    assert.equal(migratePath('/caf%c3%a9/%7euser/x%2fy'), '/café/~user/x%2Fy')
  })

  it('turns anything else into a regex path, decoding escapes', () => {
    assert.equal(migratePath('/regex.+'), '~/regex.+')
    assert.equal(migratePath('/users/(?<id>\\d+)'), '~/users/(?<id>\\d+)')
    // Decoded metacharacters are escaped; reserved escapes stay, upper-cased.
    assert.equal(migratePath('/a%2eb%7c(c)%2f%3f'), '~/a\\.b\\|(c)%2F%3F')
    assert.equal(migratePath('/%7Bid%7D+'), '~/\\{id\\}+')
    assert.equal(migratePath('/caf%C3%A9/(x)'), '~/café/(x)')
    // Even a 3.x regex is prefixed again: such files must say "3.0".
    assert.equal(migratePath('~/api/[^/]+'), '~~/api/[^/]+')
  })
})

describe('migrateRoutePaths', () => {
  it('migrates top-level routes and routes nested in services, then marks the document 3.0', () => {
    const doc: Record<string, unknown> = {
      _format_version: '2.1',
      routes: [{ paths: ['/regex.+', '/prefix', 7] }, 'not an object'],
      services: [{ routes: [{ paths: ['/a/../b(c)?'] }] }, null],
    }
    migrateRoutePaths(doc)
    assert.deepEqual(doc, {
      _format_version: '3.0',
      routes: [{ paths: ['~/regex.+', '/prefix', 7] }, 'not an object'],
      services: [{ routes: [{ paths: ['~/a/../b(c)?'] }] }, null],
    })
  })

  it('leaves 3.0 documents (and unknown versions) alone', () => {
    for (const version of ['3.0', 'foobar', 1.1]) {
      const doc = { _format_version: version, routes: [{ paths: ['/regex.+'] }] }
      migrateRoutePaths(doc)
      assert.deepEqual(doc, { _format_version: version, routes: [{ paths: ['/regex.+'] }] })
    }
  })
})

describe('loading 1.1 and 2.1 files', () => {
  for (const version of ['1.1', '2.1', '3.0']) {
    it(`handles route paths of format ${version} (Kong on-the-fly migration spec)`, () => {
      for (const nested of [false, true]) {
        const route = 'name: foo\n  protocols: ["https"]\n  paths: ["/regex.+", "/prefix"]'
        const text = nested
          ? `_format_version: "${version}"\nservices:\n- name: foo\n  host: example.com\n  routes:\n  - ${route.replace(/\n {2}/g, '\n    ')}\n`
          : `_format_version: "${version}"\nservices:\n- name: foo\n  host: example.com\nroutes:\n- ${route}\n  service: foo\n`
        const config = load(text)
        const expected = version === '3.0' ? ['/regex.+', '/prefix'] : ['~/regex.+', '/prefix']
        assert.deepEqual(rowOf(config, 'routes').paths, expected)
        assert.equal(config.meta._format_version, '3.0')
      }
    })
  }

  it('validates after migrating', () => {
    const err = loadError(`
_format_version: "2.1"
services:
- name: bar
  host: example.test
  routes:
  - name: foo
    paths: ["/regex.+(", "/prefix"]
`)
    const text = formatDeclarativeError(err)
    assert.match(text, /invalid regex: '\/regex\.\+\('/)
    assert.match(text, /missing closing parenthesis/)
  })
})
