import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PluginRegistry } from '../../plugins/registry.js'
import { coreExportSchemas, exportDeclarative, toDeclarativeYaml } from './export.js'
import {
  bundledModel,
  caCertificate,
  certificatePair,
  clock,
  flatten,
  load,
  publicJwk,
  rowOf,
} from './fixtures.test.js'
import { loadDeclarativeText } from './flatten.js'
import { parseDeclarativeText } from './parse.js'

function fullConfig() {
  const { cert, key } = certificatePair()
  return flatten({
    _format_version: '3.0',
    certificates: [
      {
        cert,
        key,
        snis: [{ name: 'api.example.test' }],
        services: [{ name: 'tls-backend', url: 'https://tls.internal' }],
      },
    ],
    ca_certificates: [{ cert: caCertificate(), tags: ['trust'] }],
    services: [
      {
        name: 'billing',
        url: 'http://billing.internal:8080/v1',
        tags: ['team-a'],
        routes: [
          { name: 'billing-api', paths: ['/billing', '~/invoices/\\d+$'], plugins: [{ name: 'key-auth' }] },
        ],
      },
      { host: 'unnamed.internal', plugins: [{ name: 'key-auth', config: { key_names: ['x-key'] } }] },
    ],
    consumers: [{ username: 'alice', custom_id: 'yes' }],
    upstreams: [
      { name: 'billing.internal', targets: [{ target: '10.0.0.1' }, { target: '10.0.0.2:8080', weight: 5 }] },
    ],
    key_sets: [{ name: 'signing', keys: [{ name: 'k1', kid: 'k1', jwk: publicJwk('k1') }] }],
    vaults: [{ prefix: 'app-env', name: 'env', config: { prefix: 'APP_' } }],
  })
}

describe('exportDeclarative', () => {
  it('writes a flat document: meta first, entity types in reference order, _transform false', () => {
    const doc = exportDeclarative(fullConfig().entities, { formatVersion: '3.0' })
    assert.deepEqual(Object.keys(doc), [
      '_format_version',
      '_transform',
      'ca_certificates',
      'certificates',
      'consumers',
      'key_sets',
      'keys',
      'services',
      'routes',
      'plugins',
      'snis',
      'upstreams',
      'targets',
      'vaults',
    ])
    assert.equal(doc._format_version, '3.0')
    assert.equal(doc._transform, false)
  })

  it('writes every field, nulls included, foreign keys as plain ids, id first and timestamps last', () => {
    const config = fullConfig()
    const doc = exportDeclarative(config.entities, { formatVersion: '3.0' })
    const route = (doc.routes as Record<string, unknown>[])[0]
    const stored = rowOf(config, 'routes')
    assert.equal(route.service, (stored.service as { id: string }).id)
    assert.deepEqual(Object.keys(route), [
      'id',
      'name',
      'protocols',
      'https_redirect_status_code',
      'strip_path',
      'preserve_host',
      'request_buffering',
      'response_buffering',
      'tags',
      'service',
      'snis',
      'sources',
      'destinations',
      'methods',
      'hosts',
      'paths',
      'headers',
      'regex_priority',
      'path_handling',
      'created_at',
      'updated_at',
    ])
    assert.equal(route.hosts, null)
    const plugin = (doc.plugins as Record<string, unknown>[]).find((p) => p.route !== null)!
    assert.deepEqual([plugin.route, plugin.service, plugin.consumer], [stored.id, null, null])
  })

  it('leaves out the transient SNI list of certificates (SNIs are exported as entities)', () => {
    const config = fullConfig()
    // Rows as the DAO presents them carry the SNI names.
    const presented = {
      ...config.entities,
      certificates: config.entities.certificates.map((c) => ({ ...c, snis: ['api.example.test'] })),
    }
    const doc = exportDeclarative(presented, { formatVersion: '3.0' })
    const certificate = (doc.certificates as Record<string, unknown>[])[0]
    assert.equal('snis' in certificate, false)
    assert.deepEqual(doc.snis, [
      {
        id: rowOf(config, 'snis').id,
        name: 'api.example.test',
        tags: null,
        certificate: certificate.id,
        created_at: rowOf(config, 'snis').created_at,
        updated_at: rowOf(config, 'snis').updated_at,
      },
    ])
  })

  it('omits workspaces, unknown types and empty types', () => {
    const doc = exportDeclarative(
      { workspaces: [{ id: 'w', name: 'default' }], parameters: [{ key: 'cluster_id' }], services: [] },
      { formatVersion: '3.0' },
    )
    assert.deepEqual(doc, { _format_version: '3.0', _transform: false })
  })

  it('knows the same core entities as the node (coreSchemas)', () => {
    const exported = coreExportSchemas().map((s) => s.name)
    const owned = new Set(
      PluginRegistry.fromSetting(['bundled'])
        .registry.entities()
        .map((e) => e.schema.name),
    )
    const core = bundledModel.order.filter((e) => !owned.has(e))
    assert.deepEqual(exported.sort(), core.sort())
  })
})

describe('export round trip', () => {
  it('export → YAML → parse → flatten gives the same rows and ids', () => {
    const original = fullConfig()
    const yaml = toDeclarativeYaml(exportDeclarative(original.entities, { formatVersion: '3.0' }))
    assert.match(yaml, /^_format_version: "3\.0"\n_transform: false\n/)
    // Strings a YAML 1.1 reader would take for booleans stay strings.
    assert.match(yaml, /custom_id: "yes"/)
    const reloaded = loadDeclarativeText(yaml, bundledModel, { clock, filename: 'kong.yml' })
    if (!reloaded.ok) throw new Error(reloaded.error.message)
    assert.deepEqual(reloaded.value.entities, original.entities)
    assert.equal(reloaded.value.meta._transform, false)
  })

  it('also through JSON', () => {
    const original = load(
      '_format_version: "3.0"\nservices:\n- name: s\n  host: s.test\n  routes:\n  - paths: [/]\n',
    )
    const json = JSON.stringify(exportDeclarative(original.entities, { formatVersion: '3.0' }))
    const parsed = parseDeclarativeText(json, { filename: 'kong.json' })
    assert.ok(parsed.ok)
    assert.deepEqual(flatten(parsed.value.config).entities, original.entities)
  })
})
