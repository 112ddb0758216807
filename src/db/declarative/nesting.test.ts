import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  bundledModel,
  certificatePair,
  consumerPluginModel,
  flatten,
  load,
  publicJwk,
  publicKeyPem,
  rowOf,
} from './fixtures.test.js'

const ref = (row: Record<string, unknown>) => ({ id: row.id })

describe('nesting is derived from the foreign keys', () => {
  it('lists the nestable collections of each core entity (declarative.md §2)', () => {
    const children = (e: string) => Object.fromEntries(consumerPluginModel.children(e))
    assert.deepEqual(children('services'), {
      routes: 'service',
      plugins: 'service',
      oauth2_tokens: 'service',
    })
    assert.deepEqual(children('routes'), { plugins: 'route' })
    assert.deepEqual(children('consumers'), {
      plugins: 'consumer',
      // the credentials and groups of the bundled auth plugins
      acls: 'consumer',
      basicauth_credentials: 'consumer',
      hmacauth_credentials: 'consumer',
      jwt_secrets: 'consumer',
      keyauth_credentials: 'consumer',
      oauth2_credentials: 'consumer',
    })
    // oauth2's tokens nest in their credential; its authorization codes are not declarative
    assert.deepEqual(children('oauth2_credentials'), { oauth2_tokens: 'credential' })
    assert.equal(consumerPluginModel.has('oauth2_authorization_codes'), false)
    assert.deepEqual(children('upstreams'), { targets: 'upstream' })
    assert.deepEqual(children('certificates'), {
      services: 'client_certificate',
      snis: 'certificate',
      upstreams: 'client_certificate',
    })
    assert.deepEqual(children('key_sets'), { keys: 'set' })
    for (const leaf of ['plugins', 'targets', 'snis', 'keys', 'vaults', 'ca_certificates']) {
      assert.deepEqual(children(leaf), {}, leaf)
    }
  })

  it('orders entity types as Kong does (referenced types first, core before plugin-owned, then alphabetical)', () => {
    assert.deepEqual(bundledModel.order, [
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
      'acls',
      'basicauth_credentials',
      'hmacauth_credentials',
      'jwt_secrets',
      'keyauth_credentials',
      'oauth2_credentials',
      'oauth2_tokens',
    ])
  })
})

describe('nested entities are flattened with their parent key', () => {
  it('services → routes → plugins, and services → plugins', () => {
    const config = load(`
_format_version: "3.0"
services:
- name: billing
  url: http://billing.internal:8080/v1
  routes:
  - name: billing-api
    paths: [/billing]
    plugins:
    - name: key-auth
      config: { key_names: [route-key] }
  plugins:
  - name: key-auth
    config: { key_names: [service-key] }
`)
    const service = rowOf(config, 'services')
    const route = rowOf(config, 'routes')
    assert.deepEqual(route.service, ref(service))
    const routePlugin = config.entities.plugins.find((p) => p.route !== null)!
    const servicePlugin = config.entities.plugins.find((p) => p.service !== null)!
    // A plugin nested in a route nested in a service is scoped to the route only.
    assert.deepEqual([routePlugin.route, routePlugin.service, routePlugin.consumer], [ref(route), null, null])
    assert.deepEqual((routePlugin.config as { key_names: string[] }).key_names, ['route-key'])
    assert.deepEqual(
      [servicePlugin.route, servicePlugin.service, servicePlugin.consumer],
      [null, ref(service), null],
    )
    // Nested collections are not fields of the flattened parent.
    assert.equal('routes' in service || 'plugins' in service || 'plugins' in route, false)
  })

  it('top-level routes → plugins', () => {
    const config = load(`
_format_version: "3.0"
routes:
- name: lonely
  paths: [/lonely]
  plugins:
  - name: key-auth
`)
    assert.equal(rowOf(config, 'routes').service, null)
    assert.deepEqual(rowOf(config, 'plugins').route, ref(rowOf(config, 'routes')))
  })

  it('consumers → plugins (for a plugin type that may be scoped to consumers)', () => {
    const config = load(
      `
_format_version: "3.0"
consumers:
- username: alice
  plugins:
  - name: request-tag
    config: { value: gold }
`,
      consumerPluginModel,
    )
    const plugin = rowOf(config, 'plugins')
    assert.deepEqual(plugin.consumer, ref(rowOf(config, 'consumers')))
    assert.deepEqual(plugin.config, { header: 'x-tag', value: 'gold' })
  })

  it('upstreams → targets', () => {
    const config = load(`
_format_version: "3.0"
upstreams:
- name: billing.internal
  targets:
  - target: 10.0.0.1:8080
  - target: 10.0.0.2:8080
    weight: 50
`)
    const upstream = rowOf(config, 'upstreams')
    assert.deepEqual(
      config.entities.targets.map((t) => [t.target, t.weight, t.upstream]),
      [
        ['10.0.0.1:8080', 100, ref(upstream)],
        ['10.0.0.2:8080', 50, ref(upstream)],
      ],
    )
  })

  it('certificates → snis, services and upstreams (client certificate), services → routes below them', () => {
    const { cert, key } = certificatePair()
    const config = flatten({
      _format_version: '3.0',
      certificates: [
        {
          cert,
          key,
          snis: [{ name: 'api.example.test' }, { name: '*.example.test', tags: ['wild'] }],
          services: [
            {
              name: 'secure',
              url: 'https://secure.internal',
              routes: [{ name: 'secure-route', paths: ['/s'] }],
            },
          ],
          upstreams: [{ name: 'secure.internal', targets: [{ target: 'secure-1.internal:443' }] }],
        },
      ],
    })
    const certificate = rowOf(config, 'certificates')
    assert.deepEqual(
      config.entities.snis.map((s) => [s.name, s.certificate]),
      [
        ['api.example.test', ref(certificate)],
        ['*.example.test', ref(certificate)],
      ],
    )
    // The certificate's transient `snis` list is not stored: SNIs are entities of their own.
    assert.equal('snis' in certificate, false)
    assert.deepEqual(rowOf(config, 'services').client_certificate, ref(certificate))
    assert.deepEqual(rowOf(config, 'upstreams').client_certificate, ref(certificate))
    assert.deepEqual(rowOf(config, 'routes').service, ref(rowOf(config, 'services')))
    assert.deepEqual(rowOf(config, 'targets').upstream, ref(rowOf(config, 'upstreams')))
  })

  it('key_sets → keys', () => {
    const config = flatten({
      _format_version: '3.0',
      key_sets: [
        {
          name: 'signing',
          keys: [
            { name: 'pem-key', kid: 'pem-key', pem: { public_key: publicKeyPem() } },
            { name: 'jwk-key', kid: 'jwk-key', jwk: publicJwk('jwk-key') },
          ],
        },
      ],
    })
    const set = rowOf(config, 'key_sets')
    assert.deepEqual(
      config.entities.keys.map((k) => [k.name, k.set]),
      [
        ['pem-key', ref(set)],
        ['jwk-key', ref(set)],
      ],
    )
  })
})
