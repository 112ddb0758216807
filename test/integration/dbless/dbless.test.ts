// DB-less mode end to end (declarative.md §8, admin-api.md §9): a node started with
// `database = off` and a declarative file, the read-only Admin API with Kong's code-12 messages,
// POST /config in every input form with check_hash and flatten_errors, GET /config, the
// configuration kept in the prefix across restarts, and the proxy following each new config.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../helpers/cli.js'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { echoed } from '../../helpers/plugins.js'
import { send, until, untilStatus } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const md5 = (text: string) => createHash('md5').update(text).digest('hex')

function fileConfig(upstream: string): string {
  return `_format_version: "3.0"
services:
- name: echo
  url: ${upstream}
  routes:
  - name: echo-route
    paths: [/echo]
    plugins:
    - name: basic-auth
consumers:
- username: alice
  basicauth_credentials:
  - username: alice
    password: open-sesame
`
}

describe('DB-less mode (database = off)', () => {
  let up: Upstream
  let dir: string
  let file: string
  let gw: Gateway
  let text: string

  before(async () => {
    up = await startUpstream()
    dir = mkdtempSync(join(tmpdir(), 'silverback-dbless-'))
    file = join(dir, 'kong.yml')
    text = fileConfig(up.url)
    writeFileSync(file, text)
    gw = await startGateway({ proxy: true, env: { DATABASE: 'off', DECLARATIVE_CONFIG: file } })
  })
  after(async () => {
    await gw?.stop()
    await up.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('loads declarative_config at start: entities readable, proxied, credentials hashed', async () => {
    const routes = await request(gw.admin, 'GET', '/routes')
    assert.equal(routes.status, 200)
    assert.deepEqual(
      (routes.body as { data: { name: string }[] }).data.map((r) => r.name),
      ['echo-route'],
    )
    const creds = (await request(gw.admin, 'GET', '/basic-auths')).body as { data: { password: string }[] }
    assert.equal(creds.data.length, 1)
    assert.match(creds.data[0].password, /^[0-9a-f]{40}$/)
    assert.equal((await send(`${gw.proxy}/echo`)).status, 401)
    const auth = `Basic ${Buffer.from('alice:open-sesame').toString('base64')}`
    const ok = await send(`${gw.proxy}/echo`, { headers: { authorization: auth } })
    assert.equal(ok.status, 200)
    assert.equal(echoed(ok).headers['x-consumer-username'], 'alice')
  })

  it('/status reports the configuration hash (MD5 of the file) instead of the database', async () => {
    const status = (await request(gw.status, 'GET', '/status')).body as Record<string, unknown>
    assert.equal(status.configuration_hash, md5(text))
    assert.equal(status.database, undefined)
    assert.equal((await request(gw.status, 'GET', '/status/ready')).status, 200)
  })

  it('refuses single-entity writes with 405 and code 12, after validating the input', async () => {
    const refused = async (method: string, path: string, json: unknown, message: string) => {
      const res = await request(gw.admin, method, path, { json })
      assert.equal(res.status, 405, `${method} ${path}: ${res.text}`)
      assert.deepEqual(res.body, { code: 12, name: 'operation unsupported', message })
    }
    const service = ((await request(gw.admin, 'GET', '/services/echo')).body as { id: string }).id
    await refused(
      'POST',
      '/services',
      { host: 'x.test' },
      "cannot create 'services' entities when not using a database",
    )
    await refused(
      'PUT',
      `/services/${service}`,
      { host: 'x.test' },
      "cannot create or update 'services' entities when not using a database",
    )
    await refused(
      'PUT',
      '/services/other',
      { host: 'x.test' },
      "cannot create or update 'services' entities by 'name' when not using a database",
    )
    await refused(
      'PATCH',
      `/services/${service}`,
      { retries: 1 },
      "cannot update 'services' entities when not using a database",
    )
    await refused(
      'PATCH',
      '/services/echo',
      { retries: 1 },
      "cannot update 'services' entities by 'name' when not using a database",
    )
    await refused(
      'DELETE',
      `/services/${service}`,
      undefined,
      "cannot remove 'services' entities when not using a database",
    )
    await refused(
      'POST',
      '/consumers/alice/basic-auth',
      { username: 'bob', password: 'x' },
      "cannot create 'basicauth_credentials' entities when not using a database",
    )
    // validation comes first; missing entities are still 404 / 204
    const invalid = await request(gw.admin, 'POST', '/services', { json: {} })
    assert.equal(invalid.status, 400)
    assert.equal((invalid.body as { code: number }).code, 2)
    assert.equal(
      (await request(gw.admin, 'PATCH', '/services/nothing-here', { json: { retries: 1 } })).status,
      404,
    )
    assert.equal((await request(gw.admin, 'DELETE', '/services/nothing-here')).status, 204)
    const logLevel = await request(gw.admin, 'PUT', '/debug/node/log-level/debug')
    assert.equal(logLevel.status, 405)
    assert.deepEqual(logLevel.body, { message: 'cannot change log level when not using a database' })
    // nothing changed
    assert.equal(((await request(gw.admin, 'GET', '/services')).body as { data: unknown[] }).data.length, 1)
  })

  it('GET /config gives the running configuration in export format', async () => {
    const res = await request(gw.admin, 'GET', '/config')
    assert.equal(res.status, 200)
    const yaml = (res.body as { config: string }).config
    assert.match(yaml, /^_format_version: "3\.0"\n_transform: false\n/)
    assert.match(yaml, /\nbasicauth_credentials:\n- id: /)
    assert.match(yaml, /\n {2}name: echo-route\n/)
  })

  it('POST /config: a JSON document replaces the whole configuration; the proxy follows', async () => {
    const doc = {
      _format_version: '3.0',
      services: [{ name: 'other', url: up.url, routes: [{ name: 'other-route', paths: ['/other'] }] }],
    }
    const res = await request(gw.admin, 'POST', '/config', { json: doc })
    assert.equal(res.status, 201, res.text)
    const body = res.body as Record<string, Record<string, { name?: string }>>
    assert.deepEqual(Object.keys(body).sort(), ['routes', 'services'])
    assert.deepEqual(
      Object.values(body.routes).map((r) => r.name),
      ['other-route'],
    )
    await untilStatus(`${gw.proxy}/other`, 200)
    assert.equal((await send(`${gw.proxy}/echo`)).status, 404)
    assert.equal(((await request(gw.admin, 'GET', '/consumers')).body as { data: unknown[] }).data.length, 0)
    const status = (await request(gw.status, 'GET', '/status')).body as { configuration_hash: string }
    assert.match(status.configuration_hash, /^[0-9a-f]{32}$/)
    assert.notEqual(status.configuration_hash, md5(text))
  })

  it('POST /config: `config` as a JSON field, a form field, a multipart file, or a YAML body', async () => {
    const yamlFor = (name: string) =>
      `_format_version: "3.0"\nservices:\n- name: ${name}\n  url: ${up.url}\n  routes:\n  - paths: [/${name}]\n`
    const names = async () =>
      ((await request(gw.admin, 'GET', '/services')).body as { data: { name: string }[] }).data.map(
        (s) => s.name,
      )

    assert.equal(
      (await request(gw.admin, 'POST', '/config', { json: { config: yamlFor('a1') } })).status,
      201,
    )
    assert.deepEqual(await names(), ['a1'])
    assert.equal(
      (await request(gw.admin, 'POST', '/config', { form: { config: yamlFor('a2') } })).status,
      201,
    )
    assert.deepEqual(await names(), ['a2'])
    const form = new FormData()
    form.append('config', new Blob([yamlFor('a3')]), 'kong.yml')
    const multipart = await fetch(`${gw.admin}/config`, { method: 'POST', body: form })
    assert.equal(multipart.status, 201)
    assert.deepEqual(await names(), ['a3'])
    const raw = await request(gw.admin, 'POST', '/config', {
      raw: yamlFor('a4'),
      headers: { 'content-type': 'application/yaml' },
    })
    assert.equal(raw.status, 201, raw.text)
    assert.deepEqual(await names(), ['a4'])
    await untilStatus(`${gw.proxy}/a4`, 200)

    const nothing = await request(gw.admin, 'POST', '/config', { json: {} })
    assert.equal(nothing.status, 400)
    assert.deepEqual(nothing.body, { message: 'expected a declarative configuration' })
  })

  it('check_hash=1 answers 304 for the text already running, 201 otherwise', async () => {
    const yaml = `_format_version: "3.0"\nservices:\n- name: hashed\n  url: ${up.url}\n`
    assert.equal(
      (await request(gw.admin, 'POST', '/config?check_hash=1', { form: { config: yaml } })).status,
      201,
    )
    const status = (await request(gw.status, 'GET', '/status')).body as { configuration_hash: string }
    assert.equal(status.configuration_hash, md5(yaml))
    const same = await request(gw.admin, 'POST', '/config?check_hash=1', { form: { config: yaml } })
    assert.equal(same.status, 304)
    assert.equal(same.text, '')
    // without check_hash the same text loads again
    assert.equal((await request(gw.admin, 'POST', '/config', { form: { config: yaml } })).status, 201)
  })

  it('an invalid configuration gets the code 14 envelope, optionally flattened; the old one stays', async () => {
    const before = await request(gw.admin, 'GET', '/config')
    const bad = {
      _format_version: '3.0',
      services: [{ name: 'broken', host: 'x.test', port: 99999, routes: [{ name: 'r', paths: ['bad'] }] }],
    }
    const res = await request(gw.admin, 'POST', '/config', { json: bad })
    assert.equal(res.status, 400)
    const body = res.body as Record<string, unknown>
    assert.equal(body.code, 14)
    assert.equal(body.name, 'invalid declarative configuration')
    assert.match(String(body.message), /^declarative config is invalid: /)
    assert.deepEqual(body.fields, {
      services: [
        {
          port: 'value should be between 0 and 65535',
          routes: [{ paths: ['should start with: / (fixed path) or ~/ (regex path)'] }],
        },
      ],
    })
    assert.equal(body.flattened_errors, undefined)

    const flat = await request(gw.admin, 'POST', '/config?flatten_errors=1', { json: bad })
    assert.equal(flat.status, 400)
    const errors = (flat.body as { flattened_errors: { entity_type: string; entity_name: string }[] })
      .flattened_errors
    assert.deepEqual(errors.map((e) => [e.entity_type, e.entity_name]).sort(), [
      ['route', 'r'],
      ['service', 'broken'],
    ])

    const unreadable = await request(gw.admin, 'POST', '/config', { form: { config: '{{{' } })
    assert.equal(unreadable.status, 400)
    assert.match(
      String((unreadable.body as { fields: { error: string } }).fields.error),
      /^failed parsing declarative configuration/,
    )

    assert.equal((await request(gw.admin, 'GET', '/config')).text, before.text)
  })

  it("refuses rate-limiting's cluster policy, which needs a database (Kong's message)", async () => {
    const doc = {
      _format_version: '3.0',
      plugins: [{ name: 'rate-limiting', config: { minute: 10, policy: 'cluster' } }],
    }
    const res = await request(gw.admin, 'POST', '/config', { json: doc })
    assert.equal(res.status, 400)
    assert.deepEqual((res.body as { fields: unknown }).fields, {
      plugins: [{ config: { policy: 'expected one of: local, redis' } }],
    })
    const local = { ...doc, plugins: [{ name: 'rate-limiting', config: { minute: 10, policy: 'local' } }] }
    assert.equal((await request(gw.admin, 'POST', '/config', { json: local })).status, 201)
  })

  it('reload reads declarative_config again; a file that does not validate leaves the running one', async () => {
    writeFileSync(
      file,
      `_format_version: "3.0"\nservices:\n- name: reloaded\n  url: ${up.url}\n  routes:\n  - paths: [/reloaded]\n`,
    )
    const res = await runCli(['reload', '-p', gw.prefix])
    assert.equal(res.code, 0, res.stderr)
    await untilStatus(`${gw.proxy}/reloaded`, 200)
    writeFileSync(file, '_format_version: "3.0"\nservices:\n- name: broken\n')
    // reload signals the node (as Kong's does): the failure is in the error log, and the node
    // keeps serving the last configuration
    assert.equal((await runCli(['reload', '-p', gw.prefix])).code, 0)
    await until(async () => /error parsing declarative config file/.test(gw.errorLog()), 10_000)
    assert.equal((await send(`${gw.proxy}/reloaded`)).status, 200)
  })

  it('GET /config round-trips through POST /config', async () => {
    const first = ((await request(gw.admin, 'GET', '/config')).body as { config: string }).config
    assert.equal((await request(gw.admin, 'POST', '/config', { form: { config: first } })).status, 201)
    const second = ((await request(gw.admin, 'GET', '/config')).body as { config: string }).config
    // (updated_at is the load time, as in Kong)
    const withoutUpdatedAt = (yaml: string) => yaml.replace(/\n {2}updated_at: \d+/g, '')
    assert.equal(withoutUpdatedAt(second), withoutUpdatedAt(first))
  })
})

describe('DB-less mode without a file', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
  })

  it('starts empty (404 no Route matched, not ready), then keeps the last POST /config across restarts', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'silverback-dbless-'))
    try {
      let gw = await startGateway({ proxy: true, prefix, env: { DATABASE: 'off' } })
      try {
        const res = await send(`${gw.proxy}/kept`)
        assert.equal(res.status, 404)
        assert.equal(JSON.parse(res.body).message, 'no Route matched with those values')
        assert.equal((await request(gw.status, 'GET', '/status/ready')).status, 503)
        const status = (await request(gw.status, 'GET', '/status')).body as { configuration_hash: string }
        assert.equal(status.configuration_hash, '00000000000000000000000000000000')
        const doc = {
          _format_version: '3.0',
          services: [{ name: 'kept', url: up.url, routes: [{ paths: ['/kept'] }] }],
        }
        assert.equal((await request(gw.admin, 'POST', '/config', { json: doc })).status, 201)
        await untilStatus(`${gw.proxy}/kept`, 200)
        assert.equal((await request(gw.status, 'GET', '/status/ready')).status, 200)
      } finally {
        await gw.stop()
      }
      gw = await startGateway({ proxy: true, prefix, env: { DATABASE: 'off' } })
      try {
        await untilStatus(`${gw.proxy}/kept`, 200)
        const services = (await request(gw.admin, 'GET', '/services')).body as { data: { name: string }[] }
        assert.deepEqual(
          services.data.map((s) => s.name),
          ['kept'],
        )
      } finally {
        await gw.stop()
      }
    } finally {
      rmSync(prefix, { recursive: true, force: true })
    }
  })

  it('declarative_config_string is loaded when there is no file; a bad one stops the start', async () => {
    const inline = `_format_version: "3.0"\nservices:\n- name: inline\n  url: ${up.url}\n  routes:\n  - paths: [/inline]\n`
    const gw = await startGateway({
      proxy: true,
      env: { DATABASE: 'off', DECLARATIVE_CONFIG_STRING: inline },
    })
    try {
      await untilStatus(`${gw.proxy}/inline`, 200)
    } finally {
      await gw.stop()
    }
    await assert.rejects(
      startGateway({
        env: { DATABASE: 'off', DECLARATIVE_CONFIG_STRING: '_format_version: "3.0"\nservices: 1\n' },
      }),
      /error parsing declarative string/,
    )
  })

  it('a declarative file that does not validate stops the start with the error tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'silverback-dbless-'))
    const file = join(dir, 'kong.yml')
    writeFileSync(file, '_format_version: "3.0"\nservices:\n- port: 80\n')
    try {
      await assert.rejects(
        startGateway({ env: { DATABASE: 'off', DECLARATIVE_CONFIG: file } }),
        (err: Error) => {
          assert.match(err.message, new RegExp(`error parsing declarative config file ${file}:`))
          assert.match(
            err.message,
            /in 'services':\n\s+- in entry 1 of 'services':\n\s+in 'host': required field missing/,
          )
          return true
        },
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a configuration larger than lmdb_map_size gets 413 and the previous one stays', async () => {
    const gw = await startGateway({ env: { DATABASE: 'off', LMDB_MAP_SIZE: '4k' } })
    try {
      const small = { _format_version: '3.0', services: [{ name: 'small', url: up.url }] }
      assert.equal((await request(gw.admin, 'POST', '/config', { json: small })).status, 201)
      const services = Array.from({ length: 40 }, (_, i) => ({ name: `s${i}`, url: up.url }))
      const res = await request(gw.admin, 'POST', '/config', { json: { _format_version: '3.0', services } })
      assert.equal(res.status, 413)
      assert.deepEqual(res.body, {
        message:
          'Configuration does not fit in LMDB database, consider raising the "lmdb_map_size" config for Kong',
      })
      const names = (await request(gw.admin, 'GET', '/services')).body as { data: { name: string }[] }
      assert.deepEqual(
        names.data.map((s) => s.name),
        ['small'],
      )
    } finally {
      await gw.stop()
    }
  })
})

describe('declarative_config_writable = on (Silverback only)', () => {
  let up: Upstream
  let dir: string
  before(async () => {
    up = await startUpstream()
    dir = mkdtempSync(join(tmpdir(), 'silverback-writable-'))
  })
  after(async () => {
    await up.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes through the Admin API, each change saved to the file; a failed save undoes the change', async () => {
    const file = join(dir, 'kong.yml')
    writeFileSync(file, `_format_version: "3.0"\nservices:\n- name: first\n  url: ${up.url}\n`)
    const env = { DATABASE: 'off', DECLARATIVE_CONFIG: file, DECLARATIVE_CONFIG_WRITABLE: 'on' }
    let gw = await startGateway({ proxy: true, env })
    try {
      const created = await request(gw.admin, 'POST', '/services/first/routes', {
        json: { name: 'r', paths: ['/w'] },
      })
      assert.equal(created.status, 201, created.text)
      await untilStatus(`${gw.proxy}/w`, 200)
      let saved = readFileSync(file, 'utf8')
      assert.match(saved, /^_format_version: "3\.0"\n_transform: false\n/)
      assert.match(saved, /\n {2}name: r\n/)
      const patched = await request(gw.admin, 'PATCH', '/routes/r', { json: { paths: ['/w2'] } })
      assert.equal(patched.status, 200)
      saved = readFileSync(file, 'utf8')
      assert.match(saved, /\n {2}- \/w2\n/)
      const status = (await request(gw.status, 'GET', '/status')).body as { configuration_hash: string }
      assert.equal(status.configuration_hash, md5(saved))

      // the file cannot be replaced any more (a directory took its place): the write fails whole
      rmSync(file)
      mkdirSync(file)
      writeFileSync(join(file, 'blocker'), 'x')
      const refused = await request(gw.admin, 'POST', '/services', { json: { name: 'second', url: up.url } })
      assert.equal(refused.status, 500)
      assert.equal((await request(gw.admin, 'GET', '/services/second')).status, 404)
      rmSync(file, { recursive: true })
      writeFileSync(file, saved)
      const deleted = await request(gw.admin, 'DELETE', '/routes/r')
      assert.equal(deleted.status, 204)
      assert.doesNotMatch(readFileSync(file, 'utf8'), /\n {2}name: r\n/)
      const again = await request(gw.admin, 'POST', '/routes', {
        json: { name: 'kept', paths: ['/kept'], service: { name: 'first' } },
      })
      assert.equal(again.status, 201)
    } finally {
      await gw.stop()
    }
    // a restart loads what was saved
    gw = await startGateway({ proxy: true, env })
    try {
      await untilStatus(`${gw.proxy}/kept`, 200)
      assert.equal((await send(`${gw.proxy}/w2`)).status, 404)
    } finally {
      await gw.stop()
    }
  })

  it('needs declarative_config', async () => {
    await assert.rejects(
      startGateway({ env: { DATABASE: 'off', DECLARATIVE_CONFIG_WRITABLE: 'on' } }),
      /declarative_config_writable = on needs declarative_config/,
    )
  })
})
