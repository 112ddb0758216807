import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConf } from './load.js'
import { isSecret, maskSecrets, SECRET_PLACEHOLDER } from './secrets.js'

describe('maskSecrets', () => {
  const { conf } = loadConf({
    searchDefaultPaths: false,
    cwd: '/',
    env: { TOKEN: 'tok', SERVER: 'http://u:p@proxy:3128' },
    overrides: {
      pg_password: 'pw',
      pg_ro_password: 'ro',
      proxy_server: '{vault://env/server}',
      declarative_config_string: '{"_format_version":"3.0"}',
      cluster_cert_key: '/keys/cluster.key',
      pg_user: '{vault://env/token}',
      vault_hcv_token: 'hvs.123',
      nginx_http_gzip: 'on',
    },
  })
  const masked = maskSecrets(conf)

  it("replaces Kong's sensitive values", () => {
    for (const name of [
      'pg_password',
      'pg_ro_password',
      'proxy_server',
      'declarative_config_string',
      'cluster_cert_key',
    ]) {
      assert.equal(masked[name], SECRET_PLACEHOLDER, name)
    }
  })

  it('masks every *_cert_key list, as Kong does, even when empty', () => {
    for (const name of [
      'ssl_cert_key',
      'admin_ssl_cert_key',
      'admin_gui_ssl_cert_key',
      'status_ssl_cert_key',
    ]) {
      assert.equal(masked[name], SECRET_PLACEHOLDER, name)
    }
  })

  it('masks secrets of dynamic names too', () => {
    assert.equal(masked.vault_hcv_token, SECRET_PLACEHOLDER)
    assert.equal(masked.nginx_http_gzip, 'on')
  })

  it('leaves unset secrets and other values alone', () => {
    assert.equal(masked.client_ssl_cert_key, null)
    assert.equal(masked.log_level, 'notice')
    assert.deepEqual(masked.plugins, ['bundled'])
  })

  it('shows values resolved from vault references as the references', () => {
    assert.equal(conf.pg_user, 'tok')
    assert.equal(masked.pg_user, '{vault://env/token}')
  })

  it('does not touch the configuration it masks', () => {
    assert.equal(conf.pg_password, 'pw')
    assert.equal(conf.proxy_server, 'http://u:p@proxy:3128')
    masked.plugins.push('x')
    assert.deepEqual(conf.plugins, ['bundled'])
  })

  it('tells secret names from others', () => {
    for (const name of [
      'pg_password',
      'request_debug_token',
      'client_ssl_cert_key',
      'vault_aws_secret_key',
    ]) {
      assert.equal(isSecret(name), true, name)
    }
    for (const name of [
      'pg_user',
      'ssl_cert',
      'headers',
      'tracing_sampling_rate',
      'worker_events_max_payload',
    ]) {
      assert.equal(isSecret(name), false, name)
    }
  })
})
