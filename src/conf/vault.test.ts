import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConf } from './load.js'
import { envVariableName, isReference, parseReference, resolveReference } from './vault.js'

const load = (overrides: Record<string, string>, env: NodeJS.ProcessEnv, extra = {}) =>
  loadConf({ searchDefaultPaths: false, cwd: '/', env, overrides, ...extra })

describe('vault references', () => {
  it('recognises whole-value references only', () => {
    assert.equal(isReference('{vault://env/pg-password}'), true)
    assert.equal(isReference('x{vault://env/pg-password}'), false)
    assert.equal(isReference('{vault://env/pg-password'), false)
  })

  it('parses name, resource, key, config and version', () => {
    assert.deepEqual(parseReference('{vault://env/cert/key?prefix=SSL_#1}'), {
      name: 'env',
      resource: 'cert',
      key: 'key',
      config: { prefix: 'SSL_' },
      version: 1,
    })
    assert.equal(parseReference('{vault://env/}'), 'reference url has empty path [{vault://env/}]')
    assert.equal(parseReference('{vault://env/%zz}'), 'reference url has invalid path [{vault://env/%zz}]')
  })

  it("maps references to variable names as Kong's env vault does", () => {
    const name = (ref: string, prefix?: string) => {
      const parsed = parseReference(ref)
      assert.ok(typeof parsed !== 'string')
      return envVariableName(parsed, prefix)
    }
    assert.equal(name('{vault://env/pg-password}'), 'PG_PASSWORD')
    assert.equal(name('{vault://env/pg-password}', 'secrets-'), 'SECRETS_PG_PASSWORD')
    assert.equal(name('{vault://env/pg-password?prefix=my_}', 'ignored_'), 'MY_PG_PASSWORD')
    assert.equal(name('{vault://env/pg-password#2}'), 'PG_PASSWORD_PREVIOUS')
  })

  it('resolves values and JSON subfields from the environment', () => {
    const ctx = { env: { CREDS: '{"user":"kong","port":5432}', PLAIN: 's3cret' }, vaults: new Set(['env']) }
    assert.deepEqual(resolveReference('{vault://env/plain}', ctx), { ok: true, value: 's3cret' })
    assert.deepEqual(resolveReference('{vault://env/creds/user}', ctx), { ok: true, value: 'kong' })
    assert.deepEqual(resolveReference('{vault://env/creds/missing}', ctx), {
      ok: false,
      error: 'could not get subfield value: subfield missing not found in JSON secret',
    })
    assert.deepEqual(resolveReference('{vault://env/creds/port}', ctx), {
      ok: false,
      error: 'could not get subfield value: unexpected number value in JSON secret for subfield port',
    })
    assert.deepEqual(resolveReference('{vault://aws/creds}', ctx), {
      ok: false,
      error: 'could not find vault (aws)',
    })
  })

  it('resolves references in configuration values at load time', () => {
    const { conf, errors } = load(
      {
        pg_password: '{vault://env/pg-password}',
        pg_user: '{vault://env/pg/user}',
        pg_port: '{vault://env/pg/port}',
      },
      { PG_PASSWORD: 'hunter2', PG: '{"user":"app","port":"6543"}' },
    )
    assert.deepEqual(errors, [])
    assert.equal(conf.pg_password, 'hunter2')
    assert.equal(conf.pg_user, 'app')
    // The resolved text is typed like any other value.
    assert.equal(conf.pg_port, 6543)
  })

  it('resolves references from the environment itself and in list items', () => {
    const { conf, errors } = load(
      {},
      {
        KONG_TRUSTED_IPS: '10.0.0.0/8, {vault://env/extra-ip}',
        EXTRA_IP: '192.168.0.1',
        KONG_PG_PASSWORD: '{vault://env/pw}',
        PW: 'x',
      },
    )
    assert.deepEqual(errors, [])
    assert.deepEqual(conf.trusted_ips, ['10.0.0.0/8', '192.168.0.1'])
    assert.equal(conf.pg_password, 'x')
  })

  it('uses vault_env_prefix', () => {
    const { conf } = load(
      { vault_env_prefix: 'app_', pg_password: '{vault://env/db-pass}' },
      { APP_DB_PASS: 'p' },
    )
    assert.equal(conf.pg_password, 'p')
  })

  it('reports an unresolvable reference, naming the property', () => {
    const { conf, errors } = load(
      { pg_password: '{vault://env/nope}', trusted_ips: '10.0.0.1, {vault://env/ip}' },
      {},
    )
    assert.deepEqual(errors, [
      "failed to dereference '{vault://env/ip}': could not get value from external vault (no value found) for config option 'trusted_ips[2]'",
      "failed to dereference '{vault://env/nope}': could not get value from external vault (no value found) for config option 'pg_password'",
    ])
    assert.equal(conf.pg_password, null)
    assert.deepEqual(conf.trusted_ips, ['10.0.0.1'])
  })

  it('refuses references when the env vault is not loaded', () => {
    const { errors } = load({ vaults: 'off', pg_password: '{vault://env/pw}' }, { PW: 'x' })
    assert.deepEqual(errors, [
      "failed to dereference '{vault://env/pw}': could not find vault (env) for config option 'pg_password'",
    ])
  })

  it('can leave unresolvable references unset instead (stopping a node needs no secrets)', () => {
    const { conf, errors } = load({ pg_password: '{vault://env/nope}' }, {}, { ignoreUnresolvedRefs: true })
    assert.deepEqual(errors, [])
    assert.equal(conf.pg_password, null)
  })
})
