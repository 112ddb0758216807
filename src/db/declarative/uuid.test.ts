import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bundledModel, flatten, load, rowOf } from './fixtures.test.js'
import { DECLARATIVE_NAMESPACE, entityNamespace, entityUuid, uuidV5 } from './uuid.js'

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuidV5', () => {
  it('matches RFC 4122 name-based UUIDs (the Python documentation vector)', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    assert.equal(
      uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'),
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    )
  })

  it('derives the per-entity namespaces from the declarative root namespace', () => {
    assert.equal(DECLARATIVE_NAMESPACE, 'fd02801f-0957-4a15-a55a-c8d9606f30b5')
    assert.equal(entityNamespace('services'), '90050c4f-539a-5bd9-bfb5-2ff1c430ca18')
    assert.equal(entityNamespace('services'), uuidV5(DECLARATIVE_NAMESPACE, 'services'))
  })

  it('gives the reference values of declarative.md §5', () => {
    assert.equal(entityUuid('services', 'example-service'), '7a267194-6123-5ee0-a1c9-4c1559eb0d95')
    assert.equal(entityUuid('services', 'my-service'), '0855b320-0dd2-547d-891d-601e9b38647f')
    assert.equal(entityUuid('routes', 'my-route'), '481a9539-f49c-51b6-b2e2-fe99ee68866c')
    assert.equal(entityUuid('consumers', 'my-user'), '4b1b701d-de2b-5588-9aa2-3b97061d9f52')
    assert.equal(
      entityUuid('plugins', 'plugins:*:key-auth::7a267194-6123-5ee0-a1c9-4c1559eb0d95:'),
      'a1ccf42c-7fce-59d0-a501-839bab28a321',
    )
    assert.equal(entityUuid('upstreams', 'example-upstream'), '6a3a4ce5-c699-55a9-a127-d002daeaa855')
    assert.equal(
      entityUuid('targets', 'targets:*:6a3a4ce5-c699-55a9-a127-d002daeaa855:10.0.0.1:8080'),
      '0a80ce26-e414-56bb-9d46-a75153f0127d',
    )
  })
})

describe('deterministic ids of declared entities', () => {
  it('derives ids from endpoint keys and cache keys (declarative.md §5 examples)', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: example-service
  url: http://example.test
  plugins:
  - name: key-auth
  routes:
  - name: my-route
    paths: [/]
consumers:
- username: my-user
upstreams:
- name: example-upstream
  targets:
  - target: 10.0.0.1:8080
`)
    assert.equal(rowOf(config, 'services').id, '7a267194-6123-5ee0-a1c9-4c1559eb0d95')
    assert.equal(rowOf(config, 'routes').id, '481a9539-f49c-51b6-b2e2-fe99ee68866c')
    assert.equal(rowOf(config, 'consumers').id, '4b1b701d-de2b-5588-9aa2-3b97061d9f52')
    assert.equal(rowOf(config, 'plugins').id, 'a1ccf42c-7fce-59d0-a501-839bab28a321')
    assert.equal(rowOf(config, 'upstreams').id, '6a3a4ce5-c699-55a9-a127-d002daeaa855')
    assert.equal(rowOf(config, 'targets').id, '0a80ce26-e414-56bb-9d46-a75153f0127d')
  })

  it('reproduces the ids in Kong’s own spec files (05-error-flattening_spec.lua)', () => {
    // Kong's test inputs carry these ids; they are the ones Kong generates for the same
    // entities declared without ids.
    const config = flatten({
      _format_version: '3.0',
      consumers: [{ username: '774f8446-6427-43f9-9962-ce7ab8097fe4' }],
      services: [
        {
          name: 'default.nginx-sample-1.nginx-sample-1.80',
          host: 'nginx-sample-1.default.80.svc',
          routes: [{ name: 'default.nginx-sample-1.nginx-sample-1..80', paths: ['/sample/1'] }],
        },
        {
          name: 'httproute.default.httproute-testing.0',
          host: 'httproute.default.httproute-testing.0',
          routes: [{ name: 'httproute.default.httproute-testing.0.0', paths: ['/httproute-testing/'] }],
        },
      ],
      upstreams: [
        {
          id: 'e9792964-6797-482c-bfdf-08220a4f6832',
          name: 'httproute.default.httproute-testing.0',
          targets: [{ target: '10.244.0.11:80' }, { target: '10.244.0.12:80' }],
        },
        {
          id: 'f9792964-6797-482c-bfdf-08220a4f6839',
          name: 'httproute.default.httproute-testing.1',
          targets: [{ target: '10.244.0.12:80' }],
        },
      ],
    })
    assert.equal(rowOf(config, 'consumers').id, '68d5de9f-2211-5ed8-b827-22f57a492d0f')
    const services = config.entities.services.map((s) => s.id)
    assert.deepEqual(services, [
      '8c17ab3e-b6bd-51b2-b5ec-878b4d608b9d',
      '4e3cb785-a8d0-5866-aa05-117f7c64f24d',
    ])
    const routes = config.entities.routes.map((r) => r.id)
    assert.deepEqual(routes, ['84d45463-1faa-55cf-8ef6-4285007b715e', '073fc413-1c03-50b4-8f44-43367c13daba'])
    const targets = config.entities.targets.map((t) => t.id)
    assert.deepEqual(targets, [
      '715f9482-4236-5fe5-9ae5-e75c1a498940',
      '89a2966d-773c-580a-b063-6ab4dfd24701',
      '48322e4a-b3b0-591b-8ed6-fd95a6d75019',
    ])
  })

  it('uses references as written: a service named in a top-level plugin stays a name in the key', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: billing
  host: billing.test
routes:
- name: r
  service: billing
  paths: [/]
plugins:
- name: key-auth
  route: r
- name: key-auth
  service: billing
`)
    const byScope = (field: string) => config.entities.plugins.find((p) => p[field] !== null)!
    assert.equal(byScope('route').id, entityUuid('plugins', 'plugins:*:key-auth:r::'))
    assert.equal(byScope('service').id, entityUuid('plugins', 'plugins:*:key-auth::billing:'))
    // The reference itself is resolved to the service's id.
    assert.deepEqual(byScope('service').service, { id: entityUuid('services', 'billing') })
  })

  it('uses the parent id for the foreign key of a nested entity, at any depth', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: svc
  host: svc.test
  routes:
  - name: inner
    paths: [/]
    plugins:
    - name: key-auth
`)
    const routeId = entityUuid('routes', 'inner')
    assert.equal(rowOf(config, 'plugins').id, entityUuid('plugins', `plugins:*:key-auth:${routeId}::`))
  })

  it('skips a reference written as {id} in the key, as Kong does', () => {
    const config = load(`
_format_version: "3.0"
services:
- id: 5b1d1fd5-3a5b-4b0e-8f3c-4a0c0f6f0e01
  host: svc.test
plugins:
- name: key-auth
  service: { id: 5b1d1fd5-3a5b-4b0e-8f3c-4a0c0f6f0e01 }
`)
    assert.equal(rowOf(config, 'plugins').id, entityUuid('plugins', 'plugins:*:key-auth::'))
  })

  it('keys a target by the text as written, before port normalization', () => {
    const config = load(`
_format_version: "3.0"
upstreams:
- name: up
  targets:
  - target: 10.0.0.9
`)
    const upstream = entityUuid('upstreams', 'up')
    const target = rowOf(config, 'targets')
    assert.equal(target.target, '10.0.0.9:8000')
    assert.equal(target.id, entityUuid('targets', `targets:*:${upstream}:10.0.0.9`))
  })

  it('keeps explicit ids and gives random v4 ids to entities without a natural key', () => {
    const text = `
_format_version: "3.0"
services:
- id: 0B3F6C3E-7D0A-4F62-9C55-2E8A4C1D9E00
  name: explicit
  host: a.test
- host: unnamed.test
consumers:
- custom_id: only-custom-id
`
    const first = load(text)
    const second = load(text)
    assert.equal(first.entities.services[0].id, '0B3F6C3E-7D0A-4F62-9C55-2E8A4C1D9E00')
    const unnamed = first.entities.services[1].id as string
    assert.match(unnamed, V4)
    assert.notEqual(unnamed, second.entities.services[1].id)
    assert.match(rowOf(first, 'consumers').id as string, V4)
    assert.notEqual(rowOf(first, 'consumers').id, rowOf(second, 'consumers').id)
  })

  it('gives a random id to the nested child of a parent without an id', () => {
    // The plugin's cache key needs its service's id, which an unnamed service only gets later.
    const config = load(`
_format_version: "3.0"
services:
- host: unnamed.test
  plugins:
  - name: key-auth
`)
    assert.match(rowOf(config, 'plugins').id as string, V4)
    assert.deepEqual(rowOf(config, 'plugins').service, { id: rowOf(config, 'services').id })
  })

  it('is the same across loads', () => {
    const text = '_format_version: "3.0"\nservices:\n- name: stable\n  host: a.test\n'
    assert.equal(load(text).entities.services[0].id, load(text).entities.services[0].id)
    assert.ok(bundledModel.has('services'))
  })
})
