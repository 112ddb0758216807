import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  bundledModel,
  certificatePair,
  consumerPluginModel,
  flatten,
  flattenError,
  load,
  loadError,
  rowOf,
} from './fixtures.test.js'

const NOT_ENABLED = (name: string) =>
  `plugin '${name}' not enabled; add it to the 'plugins' configuration property`

/** The error tree of a refused document (given as YAML or as an object). */
function fields(input: string | Record<string, unknown>, model = bundledModel): unknown {
  const err = typeof input === 'string' ? loadError(input, model) : flattenError(input, model)
  assert.equal(err.kind, 'invalid')
  return err.fields
}

describe('top-level keys', () => {
  it('requires _format_version, a string among 1.1, 2.1, 3.0', () => {
    assert.deepEqual(fields('services: []\n'), { _format_version: 'required field missing' })
    assert.deepEqual(fields('_format_version: ~\n'), { _format_version: 'required field missing' })
    assert.deepEqual(fields('_format_version: 1.1\n'), { _format_version: 'expected a string' })
    assert.deepEqual(fields('_format_version: "foobar"\n'), {
      _format_version: 'expected one of: 1.1, 2.1, 3.0',
    })
    for (const v of ['1.1', '2.1', '3.0'])
      assert.equal(load(`_format_version: "${v}"\n`).meta._format_version, '3.0')
  })

  it('accepts _transform as a boolean (default true)', () => {
    assert.deepEqual(fields('_format_version: "3.0"\n_transform: "no"\n'), {
      _transform: 'expected a boolean',
    })
    assert.equal(load('_format_version: "3.0"\n').meta._transform, true)
    assert.equal(load('_format_version: "3.0"\n_transform: no\n').meta._transform, false)
  })

  it('accepts _comment as a string and _ignore as an array of anything', () => {
    assert.deepEqual(fields('_format_version: "1.1"\n_comment: 1234\n'), { _comment: 'expected a string' })
    assert.deepEqual(fields('_format_version: "1.1"\n_comment:\n  foo: bar\n'), {
      _comment: 'expected a string',
    })
    assert.deepEqual(fields('_format_version: "1.1"\n_ignore: 1234\n'), { _ignore: 'expected an array' })
    assert.deepEqual(fields('_format_version: "1.1"\n_ignore:\n  foo: bar\n'), {
      _ignore: 'expected an array',
    })
    load('_format_version: "1.1"\n_comment: I am a happy comment!\n_ignore:\n- foo: bar\n- "Hello"\n- 1234\n')
  })

  it('rejects unknown keys, including collections of entities that do not exist', () => {
    assert.deepEqual(fields('_format_version: "3.0"\n_info: {}\nldap_auth: []\nworkspaces: []\n'), {
      _info: 'unknown field',
      ldap_auth: 'unknown field',
      workspaces: 'unknown field',
    })
  })
})

describe('collections', () => {
  it('must be arrays of objects (an empty object counts as an empty list; null as none)', () => {
    assert.deepEqual(fields('_format_version: "3.0"\nservices: { name: a }\n'), {
      services: 'expected an array',
    })
    assert.deepEqual(fields('_format_version: "3.0"\nservices: [1, ~, "x"]\n'), {
      services: ['expected a record', 'required field missing', 'expected a record'],
    })
    const empty = load('_format_version: "3.0"\nservices: {}\nroutes: ~\nconsumers: []\n')
    assert.deepEqual(empty.entities, {})
  })

  it('applies the same rules to nested collections', () => {
    assert.deepEqual(
      fields(
        '_format_version: "3.0"\nservices:\n- host: a.test\n  routes: oops\n- host: b.test\n  routes: [7]\n',
      ),
      { services: [{ routes: 'expected an array' }, { routes: ['expected a record'] }] },
    )
  })
})

describe('entity validation', () => {
  it('reports required fields and regular validations at the entity position', () => {
    assert.deepEqual(
      fields(`
_format_version: "3.0"
services:
- name: ok
  host: ok.test
- name: bad
  port: "80"
  protocol: ftp
`),
      {
        services: [
          null,
          {
            host: 'required field missing',
            port: 'expected an integer',
            protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
          },
        ],
      },
    )
  })

  it('rejects unknown fields, and collections that cannot nest there', () => {
    assert.deepEqual(
      fields('_format_version: "3.0"\nconsumers:\n- username: a\n  routes: []\n  color: red\n'),
      {
        consumers: [{ routes: 'unknown field', color: 'unknown field' }],
      },
    )
  })

  it('expands the url shorthand and validates it', () => {
    const config = load('_format_version: "3.0"\nservices:\n- name: s\n  url: https://api.test:8443/v1\n')
    const s = rowOf(config, 'services')
    assert.deepEqual([s.protocol, s.host, s.port, s.path], ['https', 'api.test', 8443, '/v1'])
    assert.equal('url' in s, false)
    assert.deepEqual(fields('_format_version: "3.0"\nservices:\n- name: s\n  url: 5\n'), {
      services: [{ url: 'expected a string' }],
    })
  })

  it('accepts _comment and _ignore inside entities, nested ones included, and drops them', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: s
  host: s.test
  _comment: top-level entity
  _ignore: [{ any: thing }]
  routes:
  - name: r
    paths: [/]
    _comment: nested entity
upstreams:
- name: u
  targets:
  - target: 10.0.0.1
    _ignore: [1, 2]
`)
    for (const [type, row] of Object.entries(config.entities).flatMap(([t, rows]) =>
      rows.map((r) => [t, r] as const),
    )) {
      assert.equal('_comment' in row || '_ignore' in row, false, type)
    }
    assert.deepEqual(
      fields(
        '_format_version: "3.0"\nservices:\n- host: s.test\n  routes:\n  - paths: [/]\n    _comment: 5\n    _ignore: x\n',
      ),
      { services: [{ routes: [{ _comment: 'expected a string', _ignore: 'expected an array' }] }] },
    )
  })
})

describe('plugins', () => {
  it('knows only the plugin types of the registry', () => {
    const yaml = `
_format_version: "3.0"
plugins:
- name: request-tag
services:
- host: s.test
  plugins:
  - name: zipkin
    config: { sample_ratio: 1 }
`
    assert.deepEqual(fields(yaml), {
      plugins: [{ name: NOT_ENABLED('request-tag') }],
      services: [{ plugins: [{ name: NOT_ENABLED('zipkin') }] }],
    })
    // A node that has the plugin type accepts it.
    const config = load('_format_version: "3.0"\nplugins:\n- name: request-tag\n', consumerPluginModel)
    assert.equal(rowOf(config, 'plugins').name, 'request-tag')
  })

  it('validates config with the plugin schema and fills its defaults', () => {
    assert.deepEqual(
      fields(
        '_format_version: "3.0"\nplugins:\n- name: key-auth\n  config:\n    key_names: [1]\n    color: red\n',
      ),
      { plugins: [{ config: { key_names: ['expected a string'], color: 'unknown field' } }] },
    )
    const plugin = rowOf(
      load('_format_version: "3.0"\nplugins:\n- name: key-auth\n  config: { hide_credentials: true }\n'),
      'plugins',
    )
    assert.deepEqual(plugin.config, {
      key_names: ['apikey'],
      hide_credentials: true,
      anonymous: null,
      key_in_header: true,
      key_in_query: true,
      key_in_body: false,
      run_on_preflight: true,
      realm: null,
    })
    assert.deepEqual(plugin.protocols, ['grpc', 'grpcs', 'http', 'https'])
  })

  it("applies the plugin's scope restrictions (key-auth cannot be scoped to a consumer)", () => {
    assert.deepEqual(
      fields(
        '_format_version: "3.0"\nconsumers:\n- username: a\nplugins:\n- name: key-auth\n  consumer: a\n',
      ),
      { plugins: [{ consumer: 'value must be null' }] },
    )
  })
})

describe('nested entries and their references', () => {
  it('accepts a nested entry that states its parent, and links it to the enclosing parent', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: a
  host: a.test
  routes:
  - name: r1
    service: a
    paths: [/one]
  - name: r2
    service: b
    paths: [/two]
- name: b
  host: b.test
`)
    const a = { id: rowOf(config, 'services', 'name', 'a').id }
    assert.deepEqual(rowOf(config, 'routes', 'name', 'r1').service, a)
    // "the enclosing parent is used for the relation anyway"
    assert.deepEqual(rowOf(config, 'routes', 'name', 'r2').service, a)
  })

  it('refuses a stated parent reference that names nothing: value must be null', () => {
    assert.deepEqual(
      fields(
        '_format_version: "3.0"\nservices:\n- name: a\n  host: a.test\n  routes:\n  - service: ghost\n    paths: [/]\n',
      ),
      { services: [{ routes: [{ service: 'value must be null' }] }] },
    )
  })

  it('accepts another reference on a nested entry when it resolves (plugin in a service, for a consumer)', () => {
    const config = load(
      `
_format_version: "3.0"
consumers:
- username: alice
services:
- name: s
  host: s.test
  plugins:
  - name: request-tag
    consumer: alice
`,
      consumerPluginModel,
    )
    const plugin = rowOf(config, 'plugins')
    assert.deepEqual(plugin.service, { id: rowOf(config, 'services').id })
    assert.deepEqual(plugin.consumer, { id: rowOf(config, 'consumers').id })
  })

  it('refuses an extra reference of a nested entry that names nothing (Kong validate spec)', () => {
    assert.deepEqual(
      fields(
        '_format_version: "1.1"\nservices:\n- name: foo\n  url: https://example.com\n  plugins:\n  - name: request-tag\n    consumer: foo\n',
        consumerPluginModel,
      ),
      { services: [{ plugins: [{ consumer: 'value must be null' }] }] },
    )
    assert.deepEqual(
      fields(
        '_format_version: "1.1"\nservices:\n- name: foo\n  url: https://example.com\n  routes:\n  - paths: [/]\n    plugins:\n    - name: key-auth\n      route: foo\n',
      ),
      { services: [{ routes: [{ plugins: [{ route: 'value must be null' }] }] }] },
    )
  })

  it('refuses the string form of SNIs inside a certificate', () => {
    const { cert, key } = certificatePair()
    assert.deepEqual(
      fields({ _format_version: '3.0', certificates: [{ cert, key, snis: ['a.example.com'] }] }),
      {
        certificates: [{ snis: ['expected a record'] }],
      },
    )
    const config = flatten({
      _format_version: '3.0',
      certificates: [{ cert, key, snis: [{ name: 'a.example.com' }] }],
    })
    assert.equal(rowOf(config, 'snis').name, 'a.example.com')
  })

  it('reports unresolved references as a missing primary key when the document has other errors (Kong #5750)', () => {
    assert.deepEqual(
      fields(
        '_format_version: "1.1"\nplugins:\n- name: key-auth\n  route: does-not-exist\n  config: { color: red }\n',
      ),
      { plugins: [{ config: { color: 'unknown field' }, route: { id: 'missing primary key' } }] },
    )
  })
})
