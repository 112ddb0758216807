// `config db_import` and `config db_export` (declarative.md §9.3–9.4) on the embedded store and
// on PostgreSQL, with a file of every entity kind: import, export, import the export into an
// empty store, export again: the same document. A node serving the imported store proxies it.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { parse } from 'yaml'
import { runCli } from '../../helpers/cli.js'
import { request, startGateway } from '../../helpers/gateway.js'
import { send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'
import { everyEntityDocument } from './every-entity.js'

const dir = mkdtempSync(join(tmpdir(), 'silverback-db-import-'))
const schemas: string[] = []

after(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (schemas.length === 0) return
  const c = new pg.Client({ host: '127.0.0.1', database: 'test', user: 'postgres' })
  await c.connect()
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await c.end()
})

let up: Upstream
let file: string
before(async () => {
  up = await startUpstream()
  file = join(dir, 'every-entity.yml')
  writeFileSync(file, everyEntityDocument(up.url))
})
after(async () => {
  await up.close()
})

/** Environment of a store: a SQLite prefix, or a fresh PostgreSQL schema (bootstrapped). */
async function store(kind: 'sqlite' | 'postgres', name: string): Promise<Record<string, string>> {
  const prefix = join(dir, name)
  if (kind === 'sqlite') return { KONG_PREFIX: prefix }
  const schema = `sb_it_import_${process.pid}_${name}`
  schemas.push(schema)
  const env = {
    KONG_PREFIX: prefix,
    KONG_DATABASE: 'postgres',
    KONG_PG_HOST: '127.0.0.1',
    KONG_PG_DATABASE: 'test',
    KONG_PG_USER: 'postgres',
    KONG_PG_SCHEMA: schema,
  }
  const boot = await runCli(['migrations', 'bootstrap'], env)
  assert.equal(boot.code, 0, boot.stderr)
  return env
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`cli: config db_import / db_export (${kind})`, () => {
    it('imports every entity kind, exports it, and the export round-trips through an empty store', async () => {
      const a = await store(kind, `${kind}-a`)
      const imported = await runCli(['config', 'db_import', file], a)
      assert.equal(imported.code, 0, imported.stderr)
      assert.equal(imported.stdout, 'parse successful, beginning import\nimport successful\n')

      const first = join(dir, `${kind}-first.yml`)
      const exported = await runCli(['config', 'db_export', first], a)
      assert.equal(exported.code, 0, exported.stderr)
      const doc = parse(readFileSync(first, 'utf8')) as Record<string, Record<string, unknown>[]>
      assert.equal(doc._format_version as unknown, '3.0')
      assert.equal(doc._transform as unknown, false)
      const counts = Object.fromEntries(
        Object.entries(doc)
          .filter(([k]) => !k.startsWith('_'))
          .map(([k, v]) => [k, v.length]),
      )
      assert.deepEqual(counts, {
        ca_certificates: 1,
        certificates: 1,
        consumers: 2,
        key_sets: 1,
        keys: 1,
        services: 2,
        routes: 3,
        plugins: 6,
        snis: 2,
        upstreams: 1,
        targets: 2,
        vaults: 1,
        acls: 3,
        basicauth_credentials: 1,
        hmacauth_credentials: 1,
        jwt_secrets: 1,
        keyauth_credentials: 2,
        oauth2_credentials: 1,
        oauth2_tokens: 1,
      })
      // the password and the client secret are stored (and exported) hashed
      assert.match(String(doc.basicauth_credentials[0].password), /^[0-9a-f]{40}$/)
      assert.match(String(doc.oauth2_credentials[0].client_secret), /^\$pbkdf2-sha512\$/)
      // foreign keys are plain ids
      assert.match(String(doc.routes[0].service), /^[0-9a-f-]{36}$/)

      // entities keep the updated_at they were exported with (here an older one)
      const stated = readFileSync(first, 'utf8').replace(/updated_at: \d+/g, 'updated_at: 1600000000')
      writeFileSync(first, stated)
      const b = await store(kind, `${kind}-b`)
      const again = await runCli(['config', 'db_import', first], b)
      assert.equal(again.code, 0, again.stderr)
      const second = join(dir, `${kind}-second.yml`)
      assert.equal((await runCli(['config', 'db_export', second], b)).code, 0)
      assert.equal(readFileSync(second, 'utf8'), stated)

      // importing the same file again updates in place (deterministic ids): still the same
      assert.equal((await runCli(['config', 'db_import', first], b)).code, 0)
      const third = join(dir, `${kind}-third.yml`)
      assert.equal((await runCli(['config', 'db_export', third], b)).code, 0)
      assert.equal(readFileSync(third, 'utf8'), stated)

      // a node on the imported store serves it: key-auth with the imported key
      const env = Object.fromEntries(
        Object.entries(b)
          .filter(([k]) => k !== 'KONG_PREFIX')
          .map(([k, v]) => [k.slice('KONG_'.length), v]),
      )
      const gw = await startGateway({ proxy: true, prefix: b.KONG_PREFIX, env })
      try {
        assert.equal((await send(`${gw.proxy}/orders`)).status, 401)
        const ok = await send(`${gw.proxy}/orders`, { headers: { apikey: 'alice-key-1' } })
        assert.equal(ok.status, 200)
        const consumers = (await request(gw.admin, 'GET', '/consumers/alice/acls')).body as {
          data: unknown[]
        }
        assert.equal(consumers.data.length, 2)
      } finally {
        await gw.stop()
      }
    })
  })
}

describe('cli: config db_import / db_export errors', () => {
  it('db_export refuses to overwrite a file', async () => {
    const existing = join(dir, 'exists.yml')
    writeFileSync(existing, 'x')
    const res = await runCli(['config', 'db_export', existing], { KONG_PREFIX: join(dir, 'errors') })
    assert.equal(res.code, 1)
    assert.match(res.stderr, /already exists\. Will not overwrite it\./)
  })

  it('both refuse database = off', async () => {
    const env = { KONG_PREFIX: join(dir, 'off'), KONG_DATABASE: 'off' }
    const imp = await runCli(['config', 'db_import', file], env)
    assert.equal(imp.code, 1)
    assert.match(
      imp.stderr,
      /'kong config db_import' only works with a database\.\nWhen using database=off, reload your declarative configuration\nusing the \/config endpoint\./,
    )
    const exp = await runCli(['config', 'db_export', join(dir, 'never.yml')], env)
    assert.equal(exp.code, 1)
    assert.match(exp.stderr, /'kong config db_export' only works with a database\./)
  })

  it('an invalid file is not imported (Failed parsing), a conflicting one fails whole (Failed importing)', async () => {
    const env = { KONG_PREFIX: join(dir, 'conflict') }
    const bad = join(dir, 'bad.yml')
    writeFileSync(bad, '_format_version: "3.0"\nservices:\n- name: x\n')
    const parsed = await runCli(['config', 'db_import', bad], env)
    assert.equal(parsed.code, 1)
    assert.match(parsed.stderr, /Failed parsing:\nin 'services':/)

    const one = join(dir, 'one.yml')
    writeFileSync(one, '_format_version: "3.0"\nservices:\n- name: taken\n  host: a.test\n')
    assert.equal((await runCli(['config', 'db_import', one], env)).code, 0)
    // a different id for the same name, next to a new service: nothing of it is written
    const clash = join(dir, 'clash.yml')
    writeFileSync(
      clash,
      '_format_version: "3.0"\nservices:\n- name: fresh\n  host: b.test\n- id: 4e6e8e7e-0000-4000-8000-000000000001\n  name: taken\n  host: c.test\n',
    )
    const res = await runCli(['config', 'db_import', clash], env)
    assert.equal(res.code, 1)
    assert.match(res.stderr, /Failed importing:\nUNIQUE violation detected on '\{name="taken"\}'/)
    const out = join(dir, 'conflict.yml')
    assert.equal((await runCli(['config', 'db_export', out], env)).code, 0)
    const doc = parse(readFileSync(out, 'utf8')) as { services: { name: string }[] }
    assert.deepEqual(
      doc.services.map((s) => s.name),
      ['taken'],
    )
  })
})
