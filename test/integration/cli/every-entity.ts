// A realistic declarative file with every entity kind Silverback stores: services with nested
// routes and plugins at every scope, consumers with all six credential kinds (and an oauth2 token), upstreams with
// targets, a certificate with SNIs, a CA certificate, a vault, a key set with a key. Used by the
// db_import/db_export tests and the migration guide (docs/deployment.md).
import { createPublicKey } from 'node:crypto'
import { stringify } from 'yaml'
import { CA_CERT, RSA_CERT, RSA_KEY } from '../admin/fixtures.js'

export function everyEntityDocument(upstreamUrl: string): string {
  const publicKey = createPublicKey(RSA_KEY).export({ type: 'spki', format: 'pem' }).toString()
  const doc = {
    _format_version: '3.0',
    _transform: true,
    certificates: [
      {
        cert: RSA_CERT,
        key: RSA_KEY,
        tags: ['edge'],
        snis: [{ name: 'api.example.test' }, { name: 'www.example.test' }],
      },
    ],
    ca_certificates: [{ cert: CA_CERT, tags: ['internal-ca'] }],
    vaults: [{ name: 'env', prefix: 'my-env', config: { prefix: 'SB_' }, description: 'environment' }],
    key_sets: [
      {
        name: 'signing',
        keys: [{ kid: 'k1', name: 'k1', pem: { public_key: publicKey, private_key: RSA_KEY } }],
      },
    ],
    upstreams: [
      {
        name: 'billing.upstream',
        algorithm: 'consistent-hashing',
        hash_on: 'header',
        hash_on_header: 'x-account',
        healthchecks: { passive: { unhealthy: { http_failures: 3 } } },
        targets: [
          { target: '127.0.0.1:9001', weight: 100 },
          { target: '127.0.0.1:9002', weight: 50, tags: ['canary'] },
        ],
      },
    ],
    services: [
      {
        name: 'orders',
        url: upstreamUrl,
        tags: ['team-a'],
        plugins: [{ name: 'correlation-id', config: { header_name: 'X-Order-Trace' } }],
        routes: [
          {
            name: 'orders-api',
            paths: ['/orders', '~/orders/(?<id>\\d+)$'],
            methods: ['GET', 'POST'],
            strip_path: false,
            plugins: [
              { name: 'key-auth', config: { key_names: ['apikey'] } },
              { name: 'rate-limiting', config: { minute: 100, policy: 'local' } },
            ],
          },
          { name: 'orders-admin', hosts: ['admin.example.test'], paths: ['/admin'] },
        ],
      },
      {
        name: 'billing',
        host: 'billing.upstream',
        path: '/v2',
        retries: 2,
        routes: [{ name: 'billing-api', paths: ['/billing'] }],
      },
    ],
    consumers: [
      {
        username: 'alice',
        custom_id: 'crm-001',
        tags: ['gold'],
        keyauth_credentials: [{ key: 'alice-key-1' }],
        basicauth_credentials: [{ username: 'alice', password: 'open-sesame' }],
        jwt_secrets: [{ key: 'alice-iss', algorithm: 'HS256', secret: 'a-long-shared-secret' }],
        hmacauth_credentials: [{ username: 'alice-hmac', secret: 'hmac-secret' }],
        acls: [{ group: 'admins' }, { group: 'readers' }],
        oauth2_credentials: [
          {
            name: 'alice-app',
            client_id: 'alice-client',
            client_secret: 'alice-client-secret',
            hash_secret: true,
            redirect_uris: ['https://app.example.test/callback'],
            oauth2_tokens: [{ access_token: 'alice-token', expires_in: 0, service: 'orders', scope: 'read' }],
          },
        ],
        plugins: [{ name: 'request-transformer', config: { add: { headers: ['x-tier:gold'] } } }],
      },
      { username: 'bob', keyauth_credentials: [{ key: 'bob-key-1' }], acls: [{ group: 'readers' }] },
    ],
    plugins: [
      { name: 'cors', config: { origins: ['https://app.example.test'] } },
      { name: 'acl', route: 'orders-admin', config: { allow: ['admins'] } },
    ],
  }
  return stringify(doc, { lineWidth: 0 })
}
