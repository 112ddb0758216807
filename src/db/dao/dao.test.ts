// The generic DAO over a real SQLite store: insert / upsert / update / delete semantics of
// admin-api.md §7, foreign keys by unique field (entities.md §1.5), error bodies of codes
// 1, 2, 3, 4, 5, 6, 10, 13, ids and timestamps (§1.2, §1.3) and the change feed.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { openTestDb, type TestDb } from '../../../test/helpers/db.js'
import type { Row } from '../strategies/strategy.js'
import type { ChangeBatch, DB } from './db.js'
import { DaoError, type DaoErrorBody } from './errors.js'

let t: TestDb
let db: DB
let batches: ChangeBatch[]

beforeEach(async () => {
  t = await openTestDb()
  db = t.db
  batches = []
  db.on('change', (b) => batches.push(b))
})

afterEach(async () => {
  await t.close()
})

/** Asserts that `p` rejects with a DAO error whose JSON body is `body`. */
async function rejectsWith(p: Promise<unknown>, body: DaoErrorBody): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DaoError, String(err))
    assert.deepEqual(JSON.parse(JSON.stringify(err.toJSON())), body)
    return true
  })
}

const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string

const nowS = () => Math.floor(Date.now() / 1000)

describe('dao: insert', () => {
  it('returns the full entity with defaults, integer timestamps in seconds', async () => {
    const before = nowS()
    const s = await db.dao('services').insert({ name: 'billing', host: 'billing.internal' })
    assert.deepEqual(Object.keys(s), [
      'id',
      'created_at',
      'updated_at',
      'name',
      'retries',
      'protocol',
      'host',
      'port',
      'path',
      'connect_timeout',
      'write_timeout',
      'read_timeout',
      'tags',
      'client_certificate',
      'tls_verify',
      'tls_verify_depth',
      'ca_certificates',
      'enabled',
    ])
    assert.ok(Number.isInteger(s.created_at))
    assert.ok((s.created_at as number) >= before && (s.created_at as number) <= nowS())
    assert.equal(s.created_at, s.updated_at)
    assert.equal(s.retries, 5)
    assert.equal(s.path, null)
    assert.deepEqual(await db.dao('services').select(String(s.id)), s)
  })

  it('lower-cases a client-supplied id, and finds it with any case', async () => {
    const id = 'ABCDEF01-2345-4678-9ABC-DEF012345678'
    const s = await db.dao('services').insert({ id, host: 'a.test' })
    assert.equal(s.id, id.toLowerCase())
    assert.equal((await db.dao('services').select(id))?.id, id.toLowerCase())
  })

  it('never stores an entity without primary key (explicit id: null)', async () => {
    let created: Row | undefined
    try {
      created = await db.dao('services').insert({ id: null, host: 'a.test' })
    } catch (err) {
      assert.ok(err instanceof DaoError && err.code === 2, String(err))
    }
    if (created)
      assert.match(String(created.id), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    for (const s of (await db.dao('services').page()).data) {
      assert.match(String(s.id), /^[0-9a-f-]{36}$/, 'a stored service has no id')
    }
  })

  it('keeps a client created_at, ignores a client updated_at', async () => {
    const s = await db.dao('services').insert({ host: 'a.test', created_at: 1000, updated_at: 'whatever' })
    assert.equal(s.created_at, 1000)
    assert.ok((s.updated_at as number) >= nowS() - 5)
  })

  it('duplicate id: code 3', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    await rejectsWith(db.dao('services').insert({ id: s.id, host: 'b.test' }), {
      code: 3,
      name: 'primary key violation',
      message: `primary key violation on key '{id="${s.id}"}'`,
      fields: { id: s.id },
    })
  })

  it('duplicate unique field: code 5', async () => {
    await db.dao('services').insert({ name: 'foo', host: 'a.test' })
    await rejectsWith(db.dao('services').insert({ name: 'foo', host: 'b.test' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="foo"}'`,
      fields: { name: 'foo' },
    })
  })

  it('consumers: username and custom_id are each unique', async () => {
    await db.dao('consumers').insert({ username: 'x', custom_id: 'c1' })
    await rejectsWith(db.dao('consumers').insert({ username: 'x' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{username="x"}'`,
      fields: { username: 'x' },
    })
    await rejectsWith(db.dao('consumers').insert({ custom_id: 'c1' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{custom_id="c1"}'`,
      fields: { custom_id: 'c1' },
    })
  })

  it('schema violation: code 2 with fields and message', async () => {
    await rejectsWith(db.dao('services').insert({ connect_timeout: 'x' }), {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
      fields: { connect_timeout: 'expected an integer', host: 'required field missing' },
    })
    assert.equal(batches.length, 0)
  })

  it('expands the url shorthand (admin-api.md §10 #8)', async () => {
    const s = await db.dao('services').insert({ url: 'https://svc.test/' })
    assert.equal(s.protocol, 'https')
    assert.equal(s.host, 'svc.test')
    assert.equal(s.port, 443)
    assert.equal(s.path, '/')
    assert.equal(Object.hasOwn(s, 'url'), false)
  })

  it('emits one change batch with a create event', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    assert.equal(batches.length, 1)
    assert.deepEqual(
      batches[0].events.map((e) => [e.operation, e.entity, e.row.id]),
      [['create', 'services', s.id]],
    )
  })
})

describe('dao: foreign keys', () => {
  it('resolves a reference given by a unique field', async () => {
    const s = await db.dao('services').insert({ name: 'billing', host: 'a.test' })
    const r = await db.dao('routes').insert({ paths: ['/'], service: { name: 'billing' } })
    assert.deepEqual(r.service, { id: s.id })
  })

  it('an unresolvable unique field: code 13', async () => {
    await rejectsWith(db.dao('routes').insert({ paths: ['/'], service: { name: 'billing' } }), {
      code: 13,
      name: 'foreign keys unresolved',
      message:
        "foreign key unresolved (service.name: the foreign key cannot be resolved with '{name=\"billing\"}' for an existing 'services' entity)",
      fields: {
        service: {
          name: "the foreign key cannot be resolved with '{name=\"billing\"}' for an existing 'services' entity",
        },
      },
    })
  })

  it('an id that does not exist: code 4', async () => {
    const id = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'
    await rejectsWith(db.dao('routes').insert({ paths: ['/'], service: { id } }), {
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id } },
    })
  })

  it('an object without id nor unique key: schema violation missing primary key', async () => {
    await rejectsWith(db.dao('routes').insert({ paths: ['/'], service: {} }), {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (service.id: missing primary key)',
      fields: { service: { id: 'missing primary key' } },
    })
  })

  it('stores and returns a reference as {id} only, whatever else the client sent in it', async () => {
    const s = await db.dao('services').insert({ name: 'billing', host: 'a.test' })
    const r = await db.dao('routes').insert({ paths: ['/'], service: { id: s.id, name: 'billing' } })
    assert.deepEqual(r.service, { id: s.id })
    assert.deepEqual((await db.dao('routes').select(String(r.id)))?.service, { id: s.id })
    const u = await db.dao('routes').update({ id: String(r.id) }, { service: { id: s.id, extra: true } })
    assert.deepEqual(u.service, { id: s.id })
  })

  it('lower-cases foreign ids', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const r = await db.dao('routes').insert({ paths: ['/'], service: { id: String(s.id).toUpperCase() } })
    assert.deepEqual(r.service, { id: s.id })
  })

  it('resolves other parents by their endpoint key (targets by upstream name, keys by set name)', async () => {
    const up = await db.dao('upstreams').insert({ name: 'up.test' })
    const target = await db.dao('targets').insert({ upstream: { name: 'up.test' }, target: 'a.test' })
    assert.deepEqual(target.upstream, { id: up.id })
    const set = await db.dao('key_sets').insert({ name: 'ks' })
    const key = await db
      .dao('keys')
      .insert({ kid: 'k', set: { name: 'ks' }, pem: { public_key: PUBLIC_PEM } })
    assert.deepEqual(key.set, { id: set.id })
  })
})

describe('dao: upsert (PUT)', () => {
  it('creates with the id of the URL (200 semantics: create or replace)', async () => {
    const id = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'
    const s = await db.dao('services').upsert({ id }, { host: 'a.test' })
    assert.equal(s.id, id)
    assert.equal(batches.at(-1)?.events[0].operation, 'create')
  })

  it('the URL id wins over a body id', async () => {
    const id = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'
    const s = await db
      .dao('services')
      .upsert({ id }, { id: '11111111-2222-4333-8444-555555555555', host: 'a.test' })
    assert.equal(s.id, id)
  })

  it('fully replaces: absent fields are reset to defaults / null', async () => {
    const s = await db
      .dao('services')
      .insert({ name: 'svc', host: 'a.test', retries: 10, path: '/p', tags: ['t'] })
    const u = await db.dao('services').upsert({ id: String(s.id) }, { host: 'b.test' })
    assert.equal(u.id, s.id)
    assert.equal(u.retries, 5)
    assert.equal(u.path, null)
    assert.equal(u.tags, null)
    assert.equal(u.name, null)
    assert.equal(u.host, 'b.test')
    assert.equal(batches.at(-1)?.events[0].operation, 'update')
    assert.equal(batches.at(-1)?.events[0].old?.retries, 10)
  })

  it('resets created_at to now unless sent (quirk of §1.3)', async () => {
    const s = await db.dao('services').insert({ host: 'a.test', created_at: 1000 })
    const u = await db.dao('services').upsert({ id: String(s.id) }, { host: 'a.test' })
    assert.ok((u.created_at as number) >= nowS() - 5)
    const kept = await db.dao('services').upsert({ id: String(s.id) }, { host: 'a.test', created_at: 2000 })
    assert.equal(kept.created_at, 2000)
  })

  it('by endpoint key: sets the field, creates with a random id, then replaces that entity', async () => {
    const a = await db.dao('services').upsert({ field: 'name', value: 'billing' }, { host: 'a.test' })
    assert.equal(a.name, 'billing')
    assert.match(String(a.id), /^[0-9a-f-]{36}$/)
    const b = await db
      .dao('services')
      .upsert({ field: 'name', value: 'billing' }, { name: 'other', host: 'b.test' })
    assert.equal(b.id, a.id)
    assert.equal(b.name, 'billing')
    assert.equal(b.host, 'b.test')
    const page = await db.dao('services').page()
    assert.equal(page.data.length, 1)
  })

  it('routes by name (admin-api.md §10 #9)', async () => {
    const r = await db.dao('routes').upsert({ field: 'name', value: 'my-route' }, { paths: ['/x'] })
    assert.equal(r.name, 'my-route')
    assert.deepEqual(r.paths, ['/x'])
  })

  it('validates as a complete entity', async () => {
    await rejectsWith(db.dao('services').upsert({ id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' }, {}), {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (host: required field missing)',
      fields: { host: 'required field missing' },
    })
  })

  it('conflicts on other unique fields: code 5', async () => {
    await db.dao('services').insert({ name: 'taken', host: 'a.test' })
    await rejectsWith(
      db
        .dao('services')
        .upsert({ id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' }, { name: 'taken', host: 'a.test' }),
      {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="taken"}'`,
        fields: { name: 'taken' },
      },
    )
  })

  it('an invalid endpoint key value: code 10', async () => {
    await rejectsWith(db.dao('services').upsert({ field: 'name', value: 'a b' }, { host: 'a.test' }), {
      code: 10,
      name: 'invalid unique name',
      message: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    })
  })
})

describe('dao: update (PATCH)', () => {
  it('changes only the given fields and sets updated_at', async () => {
    const s = await db.dao('services').insert({ name: 'svc', host: 'a.test', retries: 10, created_at: 1000 })
    const u = await db.dao('services').update({ id: String(s.id) }, { port: 8080 })
    assert.equal(u.retries, 10)
    assert.equal(u.port, 8080)
    assert.equal(u.name, 'svc')
    assert.equal(u.created_at, 1000)
    assert.ok((u.updated_at as number) >= nowS() - 5)
  })

  it('null clears a field', async () => {
    const s = await db.dao('services').insert({ host: 'a.test', path: '/p' })
    assert.equal((await db.dao('services').update({ id: String(s.id) }, { path: null })).path, null)
  })

  it('url without path clears path', async () => {
    const s = await db.dao('services').insert({ host: 'a.test', path: '/p' })
    const u = await db.dao('services').update({ id: String(s.id) }, { url: 'http://b.test' })
    assert.equal(u.path, null)
    assert.equal(u.host, 'b.test')
  })

  it('by endpoint key', async () => {
    await db.dao('services').insert({ name: 'svc', host: 'a.test' })
    const u = await db.dao('services').update({ field: 'name', value: 'svc' }, { retries: 1 })
    assert.equal(u.retries, 1)
  })

  it('missing entity: code 6 by id and by key', async () => {
    const id = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'
    await rejectsWith(db.dao('services').update({ id }, { retries: 1 }), {
      code: 6,
      name: 'not found',
      message: `could not find the entity with primary key '{id="${id}"}'`,
      fields: { id },
    })
    await rejectsWith(db.dao('services').update({ field: 'name', value: 'foo' }, { retries: 1 }), {
      code: 6,
      name: 'not found',
      message: `could not find the entity with '{name="foo"}'`,
      fields: { name: 'foo' },
    })
  })

  it('re-validates the merged entity', async () => {
    const s = await db.dao('services').insert({ host: 'a.test', path: '/p' })
    await rejectsWith(db.dao('services').update({ id: String(s.id) }, { protocol: 'tcp' }), {
      code: 2,
      name: 'schema violation',
      message:
        "2 schema violations (failed conditional validation given value of field 'protocol'; path: value must be null)",
      fields: {
        path: 'value must be null',
        '@entity': ["failed conditional validation given value of field 'protocol'"],
      },
    })
  })

  it('at-least-one-of errors say "when updating"', async () => {
    const c = await db.dao('consumers').insert({ username: 'alice' })
    await rejectsWith(db.dao('consumers').update({ id: String(c.id) }, { username: null }), {
      code: 2,
      name: 'schema violation',
      message:
        "schema violation (when updating, at least one of these fields must be non-empty: 'custom_id', 'username')",
      fields: {
        '@entity': ["when updating, at least one of these fields must be non-empty: 'custom_id', 'username'"],
      },
    })
  })

  it('conflicts with another entity on a unique field: code 5', async () => {
    await db.dao('consumers').insert({ username: 'alice' })
    const bob = await db.dao('consumers').insert({ username: 'bob' })
    await rejectsWith(db.dao('consumers').update({ id: String(bob.id) }, { username: 'alice' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{username="alice"}'`,
      fields: { username: 'alice' },
    })
    assert.equal(
      (await db.dao('consumers').update({ id: String(bob.id) }, { username: 'bob' })).username,
      'bob',
    )
  })

  it('required fields cannot be cleared', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    await rejectsWith(db.dao('services').update({ id: String(s.id) }, { host: null }), {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (host: required field missing)',
      fields: { host: 'required field missing' },
    })
  })

  it('merges nested records (plugin config), replaces arrays', async () => {
    const p = await db
      .dao('plugins')
      .insert({ name: 'key-auth', config: { key_names: ['a', 'b'], hide_credentials: true } })
    const u = await db.dao('plugins').update({ id: String(p.id) }, { config: { key_names: ['c'] } })
    const config = u.config as Row
    assert.deepEqual(config.key_names, ['c'])
    assert.equal(config.hide_credentials, true)
    assert.equal(config.key_in_header, true)
  })

  it('merges upstream healthchecks key by key', async () => {
    const u = await db.dao('upstreams').insert({ name: 'up.test', healthchecks: { active: { timeout: 5 } } })
    const v = await db
      .dao('upstreams')
      .update({ id: String(u.id) }, { healthchecks: { active: { healthy: { interval: 2 } } } })
    const active = (v.healthchecks as Row).active as Row
    assert.equal(active.timeout, 5)
    assert.equal((active.healthy as Row).interval, 2)
    assert.deepEqual((active.healthy as Row).http_statuses, [200, 302])
  })

  it('hash_on none alone switches the upstream back to round-robin', async () => {
    const u = await db.dao('upstreams').insert({ name: 'up.test', hash_on: 'ip' })
    assert.equal(u.algorithm, 'consistent-hashing')
    const v = await db.dao('upstreams').update({ id: String(u.id) }, { hash_on: 'none' })
    assert.equal(v.algorithm, 'round-robin')
  })

  it('emits an update event with the old state', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    await db.dao('services').update({ id: String(s.id) }, { host: 'b.test' })
    const e = batches.at(-1)?.events[0]
    assert.equal(e?.operation, 'update')
    assert.equal(e?.row.host, 'b.test')
    assert.equal(e?.old?.host, 'a.test')
  })
})

describe('dao: select', () => {
  it('an invalid id: code 1', async () => {
    await rejectsWith(db.dao('services').select('nope'), {
      code: 1,
      name: 'invalid primary key',
      message: `invalid primary key: '{id="expected a valid UUID"}'`,
      fields: { id: 'expected a valid UUID' },
    })
  })

  it('a missing entity is null', async () => {
    assert.equal(await db.dao('services').select('cbb297c0-a956-486d-ad1d-f9b42df9465a'), null)
    assert.equal(await db.dao('services').selectBy('name', 'nope'), null)
  })

  it('an invalid unique value: code 10', async () => {
    await rejectsWith(db.dao('services').selectBy('name', 'a b'), {
      code: 10,
      name: 'invalid unique name',
      message: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    })
  })

  it('by unique field', async () => {
    const s = await db.dao('services').insert({ name: '円', host: 'a.test' })
    assert.equal((await db.dao('services').selectBy('name', '円'))?.id, s.id)
  })
})

describe('dao: delete', () => {
  it('deletes and is idempotent', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    assert.equal(await db.dao('services').delete({ id: String(s.id) }), true)
    assert.equal(await db.dao('services').select(String(s.id)), null)
    const count = batches.length
    assert.equal(await db.dao('services').delete({ id: String(s.id) }), false)
    assert.equal(batches.length, count)
  })

  it('by endpoint key', async () => {
    await db.dao('services').insert({ name: 'svc', host: 'a.test' })
    assert.equal(await db.dao('services').delete({ field: 'name', value: 'svc' }), true)
    assert.equal(await db.dao('services').selectBy('name', 'svc'), null)
  })

  it('emits a delete event', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    await db.dao('services').delete({ id: String(s.id) })
    assert.deepEqual(
      batches.at(-1)?.events.map((e) => [e.operation, e.entity, e.row.id]),
      [['delete', 'services', s.id]],
    )
  })
})

describe('dao: change feed and transactions', () => {
  it('increments the version once per committed write', async () => {
    const v0 = db.version
    await db.dao('services').insert({ host: 'a.test' })
    await db.dao('services').insert({ host: 'b.test' })
    assert.equal(db.version, v0 + 2)
    assert.deepEqual(
      batches.map((b) => b.version),
      [v0 + 1, v0 + 2],
    )
  })

  it('a failed write leaves nothing half-written and emits nothing (unique violation after a cascade)', async () => {
    const up = await db.dao('upstreams').insert({ name: 'up.test' })
    await db.dao('targets').insert({ upstream: { id: up.id }, target: 'a.test' })
    await db.dao('services').insert({ name: 'dup', host: 'a.test' })
    const count = batches.length
    const version = db.version
    await rejectsWith(
      db.write(undefined, async (ctx) => {
        await db.dao('upstreams').delete({ id: String(up.id) }, { ctx })
        await db.dao('services').insert({ name: 'dup', host: 'b.test' }, { ctx })
      }),
      {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="dup"}'`,
        fields: { name: 'dup' },
      },
    )
    assert.equal(batches.length, count)
    assert.equal(db.version, version)
    assert.ok(await db.dao('upstreams').select(String(up.id)))
    assert.equal((await db.dao('targets').pageFor('upstream', String(up.id))).data.length, 1)
  })

  it('events of a multi-write transaction are published together after commit', async () => {
    await db.write(undefined, async (ctx) => {
      await db.dao('services').insert({ host: 'a.test' }, { ctx })
      await db.dao('services').insert({ host: 'b.test' }, { ctx })
      assert.equal(batches.length, 0)
    })
    assert.equal(batches.length, 1)
    assert.equal(batches[0].events.length, 2)
  })
})

describe('dao: more of §1 and §7', () => {
  it('ids are case-insensitive on upsert, update and delete', async () => {
    const upper = 'ABCDEF01-2345-4678-9ABC-DEF012345678'
    const a = await db.dao('services').upsert({ id: upper }, { host: 'a.test' })
    const b = await db.dao('services').upsert({ id: upper }, { host: 'b.test' })
    assert.equal(a.id, upper.toLowerCase())
    assert.equal(b.id, a.id)
    assert.equal((await db.dao('services').page()).data.length, 1)
    assert.equal((await db.dao('services').update({ id: upper }, { port: 1 })).port, 1)
    assert.equal(await db.dao('services').delete({ id: upper }), true)
  })

  it('an empty JSON object for a set/array is returned as []', async () => {
    const r = await db.dao('routes').insert({ paths: ['/'], methods: {}, tags: {} })
    assert.deepEqual(r.methods, [])
    assert.deepEqual(r.tags, [])
  })

  it('PATCH ignores a client updated_at (not validated)', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const u = await db.dao('services').update({ id: String(s.id) }, { updated_at: 'garbage', retries: 1 })
    assert.equal(typeof u.updated_at, 'number')
  })

  it('PATCH replaces maps whole (route headers)', async () => {
    const r = await db.dao('routes').insert({ headers: { 'x-a': ['1'], 'x-b': ['2'] } })
    const u = await db.dao('routes').update({ id: String(r.id) }, { headers: { 'x-c': ['3'] } })
    assert.deepEqual(u.headers, { 'x-c': ['3'] })
  })

  it('PUT resets a plugin config to its defaults', async () => {
    const p = await db
      .dao('plugins')
      .insert({ name: 'key-auth', config: { hide_credentials: true, key_names: ['k'] } })
    const u = await db.dao('plugins').upsert({ id: String(p.id) }, { name: 'key-auth' })
    assert.deepEqual((u.config as Row).key_names, ['apikey'])
    assert.equal((u.config as Row).hide_credentials, false)
  })

  it('rows stored before a field existed are returned with its default', async () => {
    const services = db.dao('services')
    const id = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'
    await db.strategy.insert(services.table, { id, host: 'old.test', protocol: 'http', port: 80 })
    const s = await services.select(id)
    assert.equal(s?.enabled, true)
    assert.equal(s?.retries, 5)
    assert.equal(s?.tls_verify, null)
    assert.equal(s?.connect_timeout, 60000)
  })

  it('a PATCH cannot change the id', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const u = await db.dao('services').update({ id: String(s.id) }, { host: 'b.test' })
    assert.equal(u.id, s.id)
  })
})
