import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { certDigest } from '../schema/validators/certificates.js'
import {
  bundledModel,
  caCertificate,
  certificatePair,
  clock,
  flatten,
  load,
  NOW,
  rowOf,
} from './fixtures.test.js'
import { flattenDeclarative } from './flatten.js'
import { canonicalJson, EMPTY_CONFIG_HASH } from './hash.js'

describe('flattened rows', () => {
  it('are complete entities in schema field order, with defaults and load-time timestamps', () => {
    const config = load('_format_version: "3.0"\nservices:\n- name: s\n  host: s.test\n  tags: [a, a, b]\n')
    const service = rowOf(config, 'services')
    assert.deepEqual(service, {
      id: service.id,
      created_at: Math.floor(NOW),
      updated_at: Math.floor(NOW),
      name: 's',
      retries: 5,
      protocol: 'http',
      host: 's.test',
      port: 80,
      path: null,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      // tags is a set: duplicates are removed.
      tags: ['a', 'b'],
      client_certificate: null,
      tls_verify: null,
      tls_verify_depth: null,
      ca_certificates: null,
      enabled: true,
    })
    assert.deepEqual(Object.keys(service), Object.keys(bundledModel.schema('services').fields))
  })

  it('keep a given created_at and always set updated_at (targets with milliseconds)', () => {
    const config = load(`
_format_version: "3.0"
consumers:
- username: a
  created_at: 1600000000
  updated_at: 1
upstreams:
- name: u
  targets:
  - target: t.test
`)
    assert.deepEqual(
      [rowOf(config, 'consumers').created_at, rowOf(config, 'consumers').updated_at],
      [1600000000, Math.floor(NOW)],
    )
    assert.deepEqual([rowOf(config, 'targets').created_at, rowOf(config, 'targets').updated_at], [NOW, NOW])
  })

  it('store targets normalized, like the DAO', () => {
    const config = load(`
_format_version: "3.0"
upstreams:
- name: u
  targets:
  - target: konghq.test
  - target: 001.002.003.004:80
  - target: "::1"
`)
    assert.deepEqual(
      config.entities.targets.map((t) => t.target),
      ['konghq.test:8000', '1.2.3.4:80', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
    )
  })

  it('give CA certificates their digest when _transform is on, and keep the given one otherwise', () => {
    const cert = caCertificate()
    const transformed = flatten({ _format_version: '3.0', ca_certificates: [{ cert, cert_digest: 'stale' }] })
    assert.equal(rowOf(transformed, 'ca_certificates').cert_digest, certDigest(cert))
    const verbatim = flatten({
      _format_version: '3.0',
      _transform: false,
      ca_certificates: [{ cert, cert_digest: 'kept' }],
    })
    assert.equal(rowOf(verbatim, 'ca_certificates').cert_digest, 'kept')
    assert.equal(verbatim.meta._transform, false)
  })

  it('turn the SNIs of a certificate into snis entities', () => {
    const { cert, key } = certificatePair()
    const config = flatten({
      _format_version: '3.0',
      certificates: [
        { cert, key, tags: ['edge'], snis: [{ name: 'a.example.test' }, { name: 'b.example.test' }] },
      ],
    })
    const certificate = rowOf(config, 'certificates')
    assert.deepEqual(Object.keys(certificate), [
      'id',
      'created_at',
      'updated_at',
      'cert',
      'key',
      'cert_alt',
      'key_alt',
      'tags',
    ])
    assert.deepEqual(
      config.entities.snis.map((s) => ({ name: s.name, certificate: s.certificate, tags: s.tags })),
      [
        { name: 'a.example.test', certificate: { id: certificate.id }, tags: null },
        { name: 'b.example.test', certificate: { id: certificate.id }, tags: null },
      ],
    )
  })

  it('come in entity order, each type in declaration order (nested entities before their parent)', () => {
    const config = load(`
_format_version: "3.0"
routes:
- name: top
  paths: [/t]
services:
- name: s
  host: s.test
  routes:
  - name: nested
    paths: [/n]
consumers:
- username: c
`)
    assert.deepEqual(Object.keys(config.entities), ['consumers', 'services', 'routes'])
    assert.deepEqual(
      config.entities.routes.map((r) => r.name),
      ['nested', 'top'],
    )
  })

  it('do not modify the input document', () => {
    const doc = {
      _format_version: '1.1',
      services: [{ name: 's', url: 'http://s.test', routes: [{ paths: ['/a.+'] }] }],
    }
    const before = JSON.stringify(doc)
    flatten(doc)
    assert.equal(JSON.stringify(doc), before)
  })
})

describe('meta and hash', () => {
  it('reports the format (3.0 after migration) and _transform', () => {
    assert.deepEqual(load('_format_version: "2.1"\n').meta, { _format_version: '3.0', _transform: true })
  })

  it('uses the MD5 of the text for text input', () => {
    const text = '_format_version: "3.0"\nconsumers:\n- username: a\n'
    assert.equal(load(text).hash, createHash('md5').update(text).digest('hex'))
  })

  it('is all zeros for a configuration without entities', () => {
    assert.equal(load('_format_version: "3.0"\n_comment: nothing here\n').hash, EMPTY_CONFIG_HASH)
    assert.equal(load('_format_version: "3.0"\nservices: []\n').hash, '00000000000000000000000000000000')
  })

  it('uses the MD5 of the canonical JSON of the flattened result for object input', () => {
    const doc = { _format_version: '3.0', consumers: [{ username: 'a' }] }
    const r = flattenDeclarative(doc, bundledModel, { clock })
    assert.ok(r.ok)
    const { entities, meta, hash } = r.value
    const byId = { consumers: { [String(entities.consumers[0].id)]: entities.consumers[0] } }
    assert.equal(
      hash,
      createHash('md5')
        .update(canonicalJson([byId, meta]))
        .digest('hex'),
    )
    // Deterministic ids and a fixed clock give the same hash for the same document.
    const again = flattenDeclarative(doc, bundledModel, { clock })
    assert.ok(again.ok)
    assert.equal(again.value.hash, hash)
    assert.equal(
      canonicalJson({ b: 1, a: [true, null, { d: 'x', c: undefined }] }),
      '{"a":[true,null,{"d":"x"}],"b":1}',
    )
  })

  it('refuses input that is not an object', () => {
    const r = flattenDeclarative(['not', 'a', 'document'], bundledModel)
    assert.equal(r.ok, false)
    assert.ok(!r.ok && r.error.kind === 'parse')
  })
})
