import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  caCertificate,
  certificatePair,
  flatten,
  flattenError,
  load,
  loadError,
  publicJwk,
  rowOf,
} from './fixtures.test.js'
import { entityUuid } from './uuid.js'

const SVC_ID = '3d0c7d5b-8f0e-4b9a-9a52-0d9d3c7d1a01'

describe('references between top-level entities', () => {
  it('resolve by endpoint key or by id, as a string or as {id}', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: billing
  host: billing.test
- id: ${SVC_ID}
  host: other.test
routes:
- name: by-name
  service: billing
  paths: [/a]
- name: by-id
  service: ${SVC_ID}
  paths: [/b]
- name: by-object
  service: { id: ${SVC_ID} }
  paths: [/c]
`)
    const billing = { id: entityUuid('services', 'billing') }
    assert.deepEqual(rowOf(config, 'routes', 'name', 'by-name').service, billing)
    assert.deepEqual(rowOf(config, 'routes', 'name', 'by-id').service, { id: SVC_ID })
    assert.deepEqual(rowOf(config, 'routes', 'name', 'by-object').service, { id: SVC_ID })
  })

  it('try the endpoint key before the id', () => {
    // A service may be named like another service's id; the name wins.
    const config = load(`
_format_version: "3.0"
services:
- id: ${SVC_ID}
  host: by-id.test
- name: ${SVC_ID}
  host: by-name.test
routes:
- service: ${SVC_ID}
  paths: [/]
`)
    assert.deepEqual(rowOf(config, 'routes').service, { id: entityUuid('services', SVC_ID) })
  })

  it('cover every foreign key of the core entities', () => {
    const { cert, key } = certificatePair()
    const certId = '7f5e1a56-2b38-4e0c-9d6e-3a8f2c1b4d00'
    const config = flatten({
      _format_version: '3.0',
      certificates: [{ id: certId, cert, key }],
      snis: [{ name: 'a.example.test', certificate: certId }],
      upstreams: [{ name: 'up', client_certificate: certId }],
      targets: [{ upstream: 'up', target: '10.1.1.1:80' }],
      services: [{ name: 'svc', url: 'https://svc.test', client_certificate: certId }],
      routes: [{ name: 'rt', service: 'svc', paths: ['/'] }],
      consumers: [{ username: 'bob' }],
      plugins: [{ name: 'key-auth', route: 'rt', service: 'svc' }],
      key_sets: [{ name: 'ks' }],
      keys: [{ name: 'k', kid: 'k', set: 'ks', jwk: publicJwk('k') }],
    })
    const id = (type: string) => ({ id: rowOf(config, type).id })
    assert.deepEqual(rowOf(config, 'snis').certificate, { id: certId })
    assert.deepEqual(rowOf(config, 'upstreams').client_certificate, { id: certId })
    assert.deepEqual(rowOf(config, 'services').client_certificate, { id: certId })
    assert.deepEqual(rowOf(config, 'targets').upstream, id('upstreams'))
    assert.deepEqual(rowOf(config, 'routes').service, id('services'))
    assert.deepEqual(
      [rowOf(config, 'plugins').route, rowOf(config, 'plugins').service],
      [id('routes'), id('services')],
    )
    assert.deepEqual(rowOf(config, 'keys').set, id('key_sets'))
  })

  it('fail when nothing in the document matches, grouped under the entity (declarative.md §6.3)', () => {
    const err = loadError(`
_format_version: "1.1"
routes:
- name: my-route-1
  service: svc1
  paths: [/]
plugins:
- name: key-auth
  service: svc1
  route: my-route-1
`)
    const plugin = entityUuid('plugins', 'plugins:*:key-auth:my-route-1:svc1:')
    assert.deepEqual(err.fields, {
      routes: { 'my-route-1': ["invalid reference 'service: svc1' (no such entry in 'services')"] },
      plugins: { [plugin]: ["invalid reference 'service: svc1' (no such entry in 'services')"] },
    })
  })

  it('list several broken references of one entity, sorted', () => {
    const err = loadError(`
_format_version: "3.0"
plugins:
- name: key-auth
  instance_name: ka
  service: svc1
  route: my-route
`)
    assert.deepEqual(err.fields, {
      plugins: {
        ka: [
          "invalid reference 'route: my-route' (no such entry in 'routes')",
          "invalid reference 'service: svc1' (no such entry in 'services')",
        ],
      },
    })
  })

  it('render an {id} that matches nothing as JSON (Kong #7696), even on a nested entity', () => {
    const err = loadError(`
_format_version: "2.1"
services:
- name: my-service-1
  url: http://localhost:8001/status
  routes:
  - name: my-route-1
    service:
      id: "769bdf51-16df-5476-9830-ef26800b5448"
    paths:
    - /status
`)
    assert.deepEqual(err.fields, {
      routes: {
        'my-route-1': [
          'invalid reference \'service: {"id":"769bdf51-16df-5476-9830-ef26800b5448"}\' (no such entry in \'services\')',
        ],
      },
    })
  })

  it('only see entities of the same document', () => {
    const err = loadError(`_format_version: "3.0"\ntargets:\n- upstream: ${SVC_ID}\n  target: 10.0.0.1\n`)
    const target = entityUuid('targets', `targets:*:${SVC_ID}:10.0.0.1`)
    assert.deepEqual(err.fields, {
      targets: { [target]: [`invalid reference 'upstream: ${SVC_ID}' (no such entry in 'upstreams')`] },
    })
  })
})

describe('duplicates (declarative.md §6.4)', () => {
  it('report a second endpoint key at its position', () => {
    assert.deepEqual(
      loadError(
        '_format_version: "3.0"\nservices:\n- name: foo\n  host: a.test\n- name: foo\n  host: b.test\n',
      ).fields,
      {
        services: [null, "uniqueness violation: 'services' entity with name set to 'foo' already declared"],
      },
    )
  })

  it('report a second primary key at its position, nested ones included', () => {
    const err = loadError(`
_format_version: "3.0"
consumers:
- id: a73dc9a7-93df-584d-97c0-7f41a1bbce3d
  username: one
- id: a73dc9a7-93df-584d-97c0-7f41a1bbce3d
  username: two
upstreams:
- name: u1
  targets:
  - target: 10.244.0.12:80
- id: f9792964-6797-482c-bfdf-08220a4f6839
  name: u2
  targets:
  - target: 10.244.0.12:80
    tags: [target-1]
  - target: 10.244.0.12:80
    tags: [target-2]
`)
    assert.deepEqual(err.fields, {
      consumers: [
        null,
        "uniqueness violation: 'consumers' entity with primary key set to 'a73dc9a7-93df-584d-97c0-7f41a1bbce3d' already declared",
      ],
      // Kong's 05-error-flattening_spec: identical targets get the same deterministic id.
      upstreams: [
        null,
        {
          targets: [
            null,
            "uniqueness violation: 'targets' entity with primary key set to '48322e4a-b3b0-591b-8ed6-fd95a6d75019' already declared",
          ],
        },
      ],
    })
  })

  it('consider a nested and a top-level declaration of the same name as duplicates', () => {
    // Nested routes are registered while walking services, before the top-level routes.
    assert.deepEqual(
      loadError(`
_format_version: "3.0"
services:
- name: s
  host: s.test
  routes:
  - name: r
    paths: [/a]
routes:
- name: r
  paths: [/b]
`).fields,
      { routes: ["uniqueness violation: 'routes' entity with name set to 'r' already declared"] },
    )
  })

  it('report other unique fields under the entity, keyed by endpoint key or id', () => {
    const err = loadError(`
_format_version: "3.0"
consumers:
- username: foo
  custom_id: conflict
- username: bar
  custom_id: conflict
- id: ${SVC_ID}
  custom_id: conflict
`)
    assert.deepEqual(err.fields, {
      consumers: {
        bar: "uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared",
        [SVC_ID]:
          "uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared",
      },
    })
  })

  it('report two entities with the same cache key, as the DAO would', () => {
    const svc = entityUuid('services', 's')
    const err = loadError(`
_format_version: "3.0"
services:
- name: s
  host: s.test
  plugins:
  - name: key-auth
plugins:
- name: key-auth
  service: s
upstreams:
- name: u
  targets:
  - target: 10.0.0.1
  - target: 10.0.0.1:8000
`)
    const second = entityUuid('plugins', 'plugins:*:key-auth::s:')
    const upstream = entityUuid('upstreams', 'u')
    const target = entityUuid('targets', `targets:*:${upstream}:10.0.0.1:8000`)
    assert.deepEqual(err.fields, {
      plugins: {
        [second]: `uniqueness violation: 'plugins' entity with name, route, service, consumer set to 'key-auth::${svc}:' already declared`,
      },
      targets: {
        [target]: `uniqueness violation: 'targets' entity with upstream, target set to '${upstream}:10.0.0.1:8000' already declared`,
      },
    })
  })

  it('report the same CA certificate declared twice (its digest is unique)', () => {
    const cert = caCertificate()
    const err = flattenError({
      _format_version: '3.0',
      ca_certificates: [
        { id: '00000000-0000-4000-8000-000000000001', cert },
        { id: '00000000-0000-4000-8000-000000000002', cert },
      ],
    })
    const digest = rowOf(
      flatten({ _format_version: '3.0', ca_certificates: [{ cert }] }),
      'ca_certificates',
    ).cert_digest
    assert.deepEqual(err.fields, {
      ca_certificates: {
        '00000000-0000-4000-8000-000000000002': `uniqueness violation: 'ca_certificates' entity with cert_digest set to '${digest}' already declared`,
      },
    })
  })
})
