import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ErrorMap, mergeTrees, nullErrors, setAt } from './error-tree.js'
import { DeclarativeError, declarativeErrorBody, formatDeclarativeError } from './errors.js'
import { consumerPluginModel, flattenError, loadError } from './fixtures.test.js'
import { parseDeclarativeText } from './parse.js'
import { luaLiteral, prettyLines } from './render.js'
import { entityUuid } from './uuid.js'

describe('the code 14 body (declarative.md §6.1)', () => {
  it('carries the error tree in fields and a Lua rendering of it in message', () => {
    const err = loadError('_format_version: "3.0"\nservices:\n- port: 70000\n')
    assert.deepEqual(declarativeErrorBody(err, { flatten: false }), {
      code: 14,
      name: 'invalid declarative configuration',
      message:
        'declarative config is invalid: {services={{host="required field missing",port="value should be between 0 and 65535"}}}',
      fields: { services: [{ host: 'required field missing', port: 'value should be between 0 and 65535' }] },
    })
    assert.equal(err.message, declarativeErrorBody(err, { flatten: false }).message)
  })

  it('reports unparseable text as fields.error', () => {
    const r = parseDeclarativeText('{"a": ', { filename: 'kong.json' })
    assert.ok(!r.ok)
    const body = declarativeErrorBody(r.error, { flatten: true })
    // No flattened_errors for text that could not be read.
    assert.deepEqual(Object.keys(body), ['code', 'name', 'message', 'fields'])
    const error = (body.fields as { error: string }).error
    assert.match(error, /^failed parsing declarative configuration: .+/)
    assert.equal(body.message, `declarative config is invalid: {error=${JSON.stringify(error)}}`)
  })
})

describe('error trees (declarative.md §6.2)', () => {
  it('mirror the input: collections, positions (null for valid ones), fields, nested children', () => {
    const err = loadError(`
_format_version: "3.0"
services:
- name: ok
  host: ok.test
- name: broken
  host: broken.test
  routes:
  - name: fine
    paths: [/fine]
  - name: bad
    paths: [/ok, bad]
    plugins:
    - name: foo
`)
    assert.deepEqual(err.fields, {
      services: [
        null,
        {
          routes: [
            null,
            {
              paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'],
              plugins: [{ name: "plugin 'foo' not enabled; add it to the 'plugins' configuration property" }],
            },
          ],
        },
      ],
    })
    assert.equal(
      err.message,
      'declarative config is invalid: {services={[2]={routes={[2]={paths={[2]="should start with: / (fixed path) or ~/ (regex path)"},plugins={{name="plugin \'foo\' not enabled; add it to the \'plugins\' configuration property"}}}}}}}',
    )
  })

  it('have no trailing nulls after the last error, like Kong error tables', () => {
    const err = loadError(`
_format_version: "3.0"
services:
- host: a.test
  routes:
  - paths: [bad, /ok]
- name: x
- host: b.test
`)
    assert.deepEqual(err.fields, {
      services: [
        { routes: [{ paths: ['should start with: / (fixed path) or ~/ (regex path)'] }] },
        { host: 'required field missing' },
      ],
    })
  })

  it('put cross-field errors in @entity', () => {
    const err = loadError('_format_version: "3.0"\nconsumers:\n- tags: [a]\n')
    assert.deepEqual(err.fields, {
      consumers: [{ '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] }],
    })
    assert.equal(
      err.message,
      `declarative config is invalid: {consumers={{["@entity"]={"at least one of these fields must be non-empty: 'custom_id', 'username'"}}}}`,
    )
  })
})

describe('the CLI form (declarative.md §9.2)', () => {
  it('prints one level per line', () => {
    const err = loadError('_format_version: "3.0"\nservices:\n- name: s\n')
    assert.equal(
      formatDeclarativeError(err),
      "in 'services':\n  - in entry 1 of 'services':\n    in 'host': required field missing",
    )
  })

  it('prints nested positions, lists and keyed errors', () => {
    const err = loadError(`
_format_version: "3.0"
_ignore: 1
consumers:
- tags: [x]
routes:
- name: r
  service: nope
  paths: [/]
`)
    // Schema errors: a meta field, an entity check (a list), a record field of a reference.
    assert.equal(
      formatDeclarativeError(err),
      "in '_ignore': expected an array\nin 'consumers':\n  - in entry 1 of 'consumers':\n    in '@entity':\n      - in entry 1 of '@entity': at least one of these fields must be non-empty: 'custom_id', 'username'\nin 'routes':\n  - in entry 1 of 'routes':\n    in 'service':\n      in 'id': missing primary key",
    )
    const refs = loadError('_format_version: "3.0"\nroutes:\n- name: r\n  service: nope\n  paths: [/]\n')
    assert.equal(
      formatDeclarativeError(refs),
      "in 'routes':\n  in 'r':\n    - in entry 1 of 'r': invalid reference 'service: nope' (no such entry in 'services')",
    )
  })

  it('prints the message of unparseable text as is', () => {
    const r = parseDeclarativeText('{}', { filename: 'kong.toml' })
    assert.ok(!r.ok)
    assert.equal(
      formatDeclarativeError(r.error),
      'unknown file type: kong.toml. (Accepted types: json, yaml)',
    )
  })
})

describe('flattened errors (declarative.md §6.5)', () => {
  it('give one entry per entity with errors, nested ones with their parent key', () => {
    const input = {
      _format_version: '3.0',
      _transform: true,
      services: [
        {
          id: 'cb019421-62c2-47a8-b714-d7567b114037',
          name: 'test',
          host: 'localhost',
          protocol: 'nope',
          tags: ['service-01'],
          routes: [
            { name: 'r1', paths: ['/ok'], tags: ['route-01'] },
            { name: 'r2', paths: 123, tags: ['route-02', 7] },
          ],
        },
      ],
    }
    const body = declarativeErrorBody(flattenError(input), { flatten: true })
    assert.equal(body.message, 'declarative config is invalid: {}')
    assert.deepEqual(body.fields, {})
    assert.deepEqual(body.flattened_errors, [
      {
        entity_type: 'route',
        entity_name: 'r2',
        // Tags that are not all strings are left out (they stay in `entity`).
        entity: {
          name: 'r2',
          paths: 123,
          tags: ['route-02', 7],
          service: { id: 'cb019421-62c2-47a8-b714-d7567b114037' },
        },
        errors: [
          { type: 'field', field: 'paths', message: 'expected an array' },
          { type: 'field', field: 'tags.2', message: 'expected a string' },
        ],
      },
      {
        entity_type: 'service',
        entity_name: 'test',
        entity_id: 'cb019421-62c2-47a8-b714-d7567b114037',
        entity_tags: ['service-01'],
        // Nested collections are not part of the entity.
        entity: {
          id: 'cb019421-62c2-47a8-b714-d7567b114037',
          name: 'test',
          host: 'localhost',
          protocol: 'nope',
          tags: ['service-01'],
        },
        errors: [
          {
            type: 'field',
            field: 'protocol',
            message: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
          },
        ],
      },
    ])
  })

  it('show entity errors and dotted record fields', () => {
    const body = declarativeErrorBody(
      flattenError({
        _format_version: '3.0',
        upstreams: [
          {
            name: 'bad',
            host_header: 123,
            healthchecks: { active: { concurrency: -1 } },
            tags: ['upstream-02'],
          },
        ],
        consumers: [{ username: 'u', custom_id: '' }],
      }),
      { flatten: true },
    )
    assert.deepEqual(body.flattened_errors, [
      {
        entity_type: 'consumer',
        entity: { username: 'u', custom_id: '' },
        errors: [{ type: 'field', field: 'custom_id', message: 'length must be at least 1' }],
      },
      {
        entity_type: 'upstream',
        entity_name: 'bad',
        entity_tags: ['upstream-02'],
        entity: {
          name: 'bad',
          host_header: 123,
          healthchecks: { active: { concurrency: -1 } },
          tags: ['upstream-02'],
        },
        errors: [
          {
            type: 'field',
            field: 'healthchecks.active.concurrency',
            message: 'value should be between 1 and 2147483648',
          },
          { type: 'field', field: 'host_header', message: 'expected a string' },
        ],
      },
    ])
  })

  it('turn a duplicate into an entity error carrying the generated id (Kong spec)', () => {
    const body = declarativeErrorBody(
      flattenError({
        _format_version: '3.0',
        upstreams: [
          {
            id: 'f9792964-6797-482c-bfdf-08220a4f6839',
            name: 'httproute.default.httproute-testing.1',
            targets: [
              { target: '10.244.0.12:80', weight: 1, tags: ['target-1'] },
              { target: '10.244.0.12:80', weight: 1, tags: ['target-2'] },
            ],
          },
        ],
      }),
      { flatten: true },
    )
    const message =
      "uniqueness violation: 'targets' entity with primary key set to '48322e4a-b3b0-591b-8ed6-fd95a6d75019' already declared"
    assert.deepEqual(body.fields, {})
    assert.deepEqual(body.flattened_errors, [
      {
        entity_type: 'target',
        entity_id: '48322e4a-b3b0-591b-8ed6-fd95a6d75019',
        entity_tags: ['target-2'],
        entity: {
          id: '48322e4a-b3b0-591b-8ed6-fd95a6d75019',
          tags: ['target-2'],
          target: '10.244.0.12:80',
          upstream: { id: 'f9792964-6797-482c-bfdf-08220a4f6839' },
          weight: 1,
        },
        errors: [{ type: 'entity', message }],
      },
    ])
  })

  it('leave errors that belong to no input position in fields', () => {
    const err = loadError(`
_format_version: "3.0"
consumers:
- username: a
- username: a
routes:
- name: r
  service: nope
  paths: [/]
`)
    assert.deepEqual(err.fields, {
      consumers: [null, "uniqueness violation: 'consumers' entity with username set to 'a' already declared"],
      routes: { r: ["invalid reference 'service: nope' (no such entry in 'services')"] },
    })
    const body = declarativeErrorBody(err, { flatten: true })
    assert.deepEqual(body.flattened_errors, [
      {
        entity_type: 'consumer',
        entity_id: entityUuid('consumers', 'a'),
        entity: { id: entityUuid('consumers', 'a'), username: 'a' },
        errors: [
          {
            type: 'entity',
            message: "uniqueness violation: 'consumers' entity with username set to 'a' already declared",
          },
        ],
      },
    ])
    assert.deepEqual(body.fields, {
      routes: { r: ["invalid reference 'service: nope' (no such entry in 'services')"] },
    })
    assert.equal(
      body.message,
      `declarative config is invalid: {routes={r={"invalid reference 'service: nope' (no such entry in 'services')"}}}`,
    )
    const meta = declarativeErrorBody(loadError('_format_version: "3.0"\n_comment: 7\n'), { flatten: true })
    assert.deepEqual(meta.fields, { _comment: 'expected a string' })
    assert.deepEqual(meta.flattened_errors, [])
  })

  it('keeps positional and keyed errors of one collection apart', () => {
    // A duplicate (by position) and a broken reference (by name) in the same collection.
    const err = loadError(`
_format_version: "3.0"
services:
- name: s
  host: s.test
  routes:
  - name: dup
    paths: [/a]
routes:
- name: dup
  paths: [/b]
- name: other
  service: ghost
  paths: [/c]
`)
    const fields = err.fields as ErrorMap
    assert.deepEqual(JSON.parse(JSON.stringify(fields)), {
      routes: {
        '1': "uniqueness violation: 'routes' entity with name set to 'dup' already declared",
        other: ["invalid reference 'service: ghost' (no such entry in 'services')"],
      },
    })
    assert.equal(
      err.message,
      `declarative config is invalid: {routes={"uniqueness violation: 'routes' entity with name set to 'dup' already declared",other={"invalid reference 'service: ghost' (no such entry in 'services')"}}}`,
    )
    assert.equal(
      formatDeclarativeError(err),
      [
        "in 'routes':",
        "  - in entry 1 of 'routes': uniqueness violation: 'routes' entity with name set to 'dup' already declared",
        "  in 'other':",
        "    - in entry 1 of 'other': invalid reference 'service: ghost' (no such entry in 'services')",
      ].join('\n'),
    )
    const body = declarativeErrorBody(err, { flatten: true })
    assert.equal(body.flattened_errors?.length, 1)
    assert.equal(body.flattened_errors?.[0].entity_name, 'dup')
    assert.deepEqual(JSON.parse(JSON.stringify(body.fields)), {
      routes: { other: ["invalid reference 'service: ghost' (no such entry in 'services')"] },
    })
  })
})

describe('error tree helpers', () => {
  it('render sparse positions and non-identifier keys like Penlight', () => {
    assert.equal(
      luaLiteral({ a: [null, 'x', 'y'], 'b-c': 'z', end: 'k' }),
      '{a={[2]="x",[3]="y"},["b-c"]="z",["end"]="k"}',
    )
    assert.equal(luaLiteral({ a: ['x', null, 'z'] }), '{a={"x",[3]="z"}}')
    assert.equal(luaLiteral({ m: 'two\nlines', q: 'say "hi"' }), '{m=[[two\nlines]],q="say \\"hi\\""}')
  })

  it('merge trees with the second one winning', () => {
    const merged = mergeTrees(
      { a: [{ x: { id: 'missing primary key' } }] },
      { a: [{ x: 'value must be null' }], b: 'c' },
    )
    assert.deepEqual(merged, { a: [{ x: 'value must be null' }], b: 'c' })
  })

  it('extract the value-must-be-null errors', () => {
    assert.deepEqual(nullErrors({ a: [null, { x: 'value must be null', y: 'other' }], b: 'other' }), {
      a: [null, { x: 'value must be null' }],
    })
    assert.equal(nullErrors({ a: 'other' }), undefined)
  })

  it('write at a path, turning a list level into a positional map when a name arrives', () => {
    const tree: ErrorMap = {}
    setAt(tree, ['routes', 2], 'dup')
    setAt(tree, ['routes', 'r'], ['ref'])
    assert.deepEqual(JSON.parse(JSON.stringify(tree)), { routes: { '3': 'dup', r: ['ref'] } })
    assert.deepEqual(prettyLines(tree), [
      "in 'routes':",
      "  - in entry 3 of 'routes': dup",
      "  in 'r':",
      "    - in entry 1 of 'r': ref",
    ])
  })

  it('correlate flattened errors with the entity types of the model', () => {
    // `request-tag` plugins exist only in consumerPluginModel; nesting follows that model.
    const err = DeclarativeError.invalid(
      { consumers: [{ plugins: [{ config: { value: 'expected a string' } }] }] },
      { consumers: [{ username: 'c', plugins: [{ name: 'request-tag', config: { value: 1 } }] }] },
      consumerPluginModel,
    )
    assert.deepEqual(declarativeErrorBody(err, { flatten: true }).flattened_errors, [
      {
        entity_type: 'plugin',
        entity_name: 'request-tag',
        entity: { name: 'request-tag', config: { value: 1 } },
        errors: [{ type: 'field', field: 'config.value', message: 'expected a string' }],
      },
    ])
  })
})
