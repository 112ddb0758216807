// Deletion behaviour (entities.md §1.10: cascades and restrictions, with their change events) and
// composite uniqueness (§1.11: plugins, targets, keys) over a real SQLite store.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { afterEach, before, beforeEach, describe, it } from 'node:test'
import { openTestDb, type TestDb } from '../../../test/helpers/db.js'
import { generateSelfSigned, type KeyPair } from '../../tls/self-signed.js'
import type { ChangeBatch, DB } from './db.js'
import { DaoError, type DaoErrorBody } from './errors.js'

let t: TestDb
let db: DB
let batches: ChangeBatch[]
let pair: KeyPair
const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string

before(() => {
  pair = generateSelfSigned({ type: 'ec' })
})

beforeEach(async () => {
  t = await openTestDb()
  db = t.db
  batches = []
  db.on('change', (b) => batches.push(b))
})

afterEach(async () => {
  await t.close()
})

async function rejectsWith(p: Promise<unknown>, body: DaoErrorBody): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DaoError, String(err))
    assert.deepEqual(JSON.parse(JSON.stringify(err.toJSON())), body)
    return true
  })
}

/** [operation, entity] of the events of the last batch, sorted for order-independent checks. */
function lastEvents(): string[] {
  return (batches.at(-1)?.events ?? []).map((e) => `${e.operation} ${e.entity} ${String(e.row.id)}`).sort()
}

const id = (row: Record<string, unknown>) => String(row.id)

describe('deleting a service', () => {
  it('is refused while a route references it (code 4)', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    await db.dao('routes').insert({ paths: ['/'], service: { id: s.id } })
    const count = batches.length
    await rejectsWith(db.dao('services').delete({ id: id(s) }), {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    })
    assert.ok(await db.dao('services').select(id(s)))
    assert.equal(batches.length, count)
  })

  it('cascades to its plugins, with delete events in the same batch', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const p = await db.dao('plugins').insert({ name: 'key-auth', service: { id: s.id } })
    await db.dao('services').delete({ id: id(s) })
    assert.equal(await db.dao('plugins').select(id(p)), null)
    assert.deepEqual(lastEvents(), [`delete plugins ${id(p)}`, `delete services ${id(s)}`].sort())
  })
})

describe('deleting a route', () => {
  it('cascades to its plugins', async () => {
    const r = await db.dao('routes').insert({ paths: ['/'] })
    const p = await db.dao('plugins').insert({ name: 'key-auth', route: { id: r.id } })
    const other = await db.dao('plugins').insert({ name: 'key-auth' })
    await db.dao('routes').delete({ id: id(r) })
    assert.equal(await db.dao('plugins').select(id(p)), null)
    assert.ok(await db.dao('plugins').select(id(other)))
    assert.deepEqual(lastEvents(), [`delete plugins ${id(p)}`, `delete routes ${id(r)}`].sort())
  })

  it('then the service can be deleted', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const r = await db.dao('routes').insert({ paths: ['/'], service: { id: s.id } })
    await db.dao('routes').delete({ id: id(r) })
    assert.equal(await db.dao('services').delete({ id: id(s) }), true)
  })
})

describe('deleting a consumer', () => {
  it('cascades to plugins scoped to it', async () => {
    // key-auth refuses consumer scoping; write the scoped plugin row the way an older schema would.
    const c = await db.dao('consumers').insert({ username: 'alice' })
    const plugins = db.dao('plugins')
    const row = {
      id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a',
      name: 'key-auth',
      instance_name: null,
      created_at: 1,
      updated_at: 1,
      route: null,
      service: null,
      consumer: { id: c.id },
      config: {},
      protocols: ['http'],
      enabled: true,
      tags: null,
    }
    await db.strategy.insert(plugins.table, row, { cacheKey: plugins.cacheKey(row) })
    await db.dao('consumers').delete({ id: id(c) })
    assert.equal(await plugins.select(row.id), null)
    assert.deepEqual(lastEvents(), [`delete consumers ${id(c)}`, `delete plugins ${row.id}`].sort())
  })
})

describe('deleting an upstream', () => {
  it('cascades to its targets', async () => {
    const u = await db.dao('upstreams').insert({ name: 'up.test' })
    const a = await db.dao('targets').insert({ upstream: { id: u.id }, target: 'a.test' })
    const b = await db.dao('targets').insert({ upstream: { id: u.id }, target: 'b.test' })
    await db.dao('upstreams').delete({ id: id(u) })
    assert.equal(await db.dao('targets').select(id(a)), null)
    assert.deepEqual(
      lastEvents(),
      [`delete targets ${id(a)}`, `delete targets ${id(b)}`, `delete upstreams ${id(u)}`].sort(),
    )
  })
})

describe('deleting a certificate', () => {
  it('deletes its SNIs', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test', 'b.test'] })
    const sni = await db.dao('snis').selectBy('name', 'a.test')
    assert.ok(sni)
    await db.dao('certificates').delete({ id: id(c) })
    assert.equal(await db.dao('snis').selectBy('name', 'a.test'), null)
    assert.equal(await db.dao('snis').selectBy('name', 'b.test'), null)
    const events = lastEvents()
    assert.equal(events.filter((e) => e.startsWith('delete snis')).length, 2)
    assert.ok(events.includes(`delete certificates ${id(c)}`))
  })

  it('is refused while a service uses it as client certificate (code 4)', async () => {
    const c = await db.dao('certificates').insert({ ...pair })
    await db.dao('services').insert({ protocol: 'https', host: 'a.test', client_certificate: { id: c.id } })
    await rejectsWith(db.dao('certificates').delete({ id: id(c) }), {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'services' entity references this 'certificates' entity",
      fields: { '@referenced_by': 'services' },
    })
  })

  it('is refused while an upstream uses it as client certificate (code 4)', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test'] })
    await db.dao('upstreams').insert({ name: 'up.test', client_certificate: { id: c.id } })
    await rejectsWith(db.dao('certificates').delete({ id: id(c) }), {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'upstreams' entity references this 'certificates' entity",
      fields: { '@referenced_by': 'upstreams' },
    })
    // Nothing was deleted: the SNI is still there.
    assert.ok(await db.dao('snis').selectBy('name', 'a.test'))
  })
})

describe('deleting a key set', () => {
  it('cascades to its keys', async () => {
    const set = await db.dao('key_sets').insert({ name: 'ks' })
    const k = await db.dao('keys').insert({ kid: 'k1', set: { id: set.id }, pem: { public_key: PUBLIC_PEM } })
    const free = await db.dao('keys').insert({ kid: 'k2', pem: { public_key: PUBLIC_PEM } })
    await db.dao('key_sets').delete({ id: id(set) })
    assert.equal(await db.dao('keys').select(id(k)), null)
    assert.ok(await db.dao('keys').select(id(free)))
    assert.deepEqual(lastEvents(), [`delete key_sets ${id(set)}`, `delete keys ${id(k)}`].sort())
  })
})

describe('entities without dependents', () => {
  it('sni, target, plugin, vault, key delete without side effects', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test'] })
    const sni = await db.dao('snis').selectBy('name', 'a.test')
    await db.dao('snis').delete({ id: id(sni!) })
    assert.ok(await db.dao('certificates').select(id(c)))
    const v = await db.dao('vaults').insert({ prefix: 'my-env', name: 'env' })
    await db.dao('vaults').delete({ field: 'prefix', value: 'my-env' })
    assert.equal(await db.dao('vaults').select(id(v)), null)
    assert.deepEqual(lastEvents(), [`delete vaults ${id(v)}`])
  })
})

describe('composite uniqueness', () => {
  it('plugins: a second key-auth on the same service is code 5 with all four parts (admin-api.md §10 #12)', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    await db.dao('plugins').insert({ name: 'key-auth', service: { id: s.id } })
    await rejectsWith(db.dao('plugins').insert({ name: 'key-auth', service: { id: s.id } }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service={id="${id(s)}"}}'`,
      fields: { name: 'key-auth', route: null, service: { id: s.id }, consumer: null },
    })
  })

  it('plugins: two global instances of the same plugin conflict', async () => {
    await db.dao('plugins').insert({ name: 'key-auth' })
    await rejectsWith(db.dao('plugins').insert({ name: 'key-auth' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service=null}'`,
      fields: { name: 'key-auth', route: null, service: null, consumer: null },
    })
  })

  it('plugins: different scopes do not conflict; updating an instance onto a taken scope does', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const r = await db.dao('routes').insert({ paths: ['/'], service: { id: s.id } })
    await db.dao('plugins').insert({ name: 'key-auth', service: { id: s.id } })
    const onRoute = await db.dao('plugins').insert({ name: 'key-auth', route: { id: r.id } })
    await db.dao('plugins').insert({ name: 'key-auth', route: { id: r.id }, service: { id: s.id } })
    await db.dao('plugins').insert({ name: 'key-auth' })
    await rejectsWith(db.dao('plugins').update({ id: id(onRoute) }, { route: null }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service=null}'`,
      fields: { name: 'key-auth', route: null, service: null, consumer: null },
    })
  })

  it('plugins: instance_name is unique', async () => {
    await db.dao('plugins').insert({ name: 'key-auth', instance_name: 'ka' })
    const r = await db.dao('routes').insert({ paths: ['/'] })
    await rejectsWith(
      db.dao('plugins').insert({ name: 'key-auth', instance_name: 'ka', route: { id: r.id } }),
      {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{instance_name="ka"}'`,
        fields: { instance_name: 'ka' },
      },
    )
  })

  it('targets: (upstream, target) after normalization', async () => {
    const u = await db.dao('upstreams').insert({ name: 'up.test' })
    const other = await db.dao('upstreams').insert({ name: 'other.test' })
    await db.dao('targets').insert({ upstream: { id: u.id }, target: 'a.test' })
    await db.dao('targets').insert({ upstream: { id: other.id }, target: 'a.test' })
    await rejectsWith(db.dao('targets').insert({ upstream: { id: u.id }, target: 'a.test:8000' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{target="a.test:8000",upstream={id="${id(u)}"}}'`,
      fields: { upstream: { id: u.id }, target: 'a.test:8000' },
    })
  })

  it('keys: (kid, set), and name', async () => {
    const set = await db.dao('key_sets').insert({ name: 'ks' })
    await db
      .dao('keys')
      .insert({ kid: 'k1', set: { id: set.id }, name: 'n1', pem: { public_key: PUBLIC_PEM } })
    await db.dao('keys').insert({ kid: 'k1', pem: { public_key: PUBLIC_PEM } })
    await rejectsWith(
      db.dao('keys').insert({ kid: 'k1', set: { id: set.id }, pem: { public_key: PUBLIC_PEM } }),
      {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{kid="k1",set={id="${id(set)}"}}'`,
        fields: { kid: 'k1', set: { id: set.id } },
      },
    )
    await rejectsWith(db.dao('keys').insert({ kid: 'k2', name: 'n1', pem: { public_key: PUBLIC_PEM } }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="n1"}'`,
      fields: { name: 'n1' },
    })
  })

  it('unique single fields of other entities: upstreams, snis, vaults, key_sets', async () => {
    await db.dao('upstreams').insert({ name: 'up.test' })
    await rejectsWith(db.dao('upstreams').insert({ name: 'up.test' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="up.test"}'`,
      fields: { name: 'up.test' },
    })
    await db.dao('vaults').insert({ prefix: 'my-env', name: 'env' })
    await rejectsWith(db.dao('vaults').insert({ prefix: 'my-env', name: 'env' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{prefix="my-env"}'`,
      fields: { prefix: 'my-env' },
    })
    await db.dao('key_sets').insert({ name: 'ks' })
    await rejectsWith(db.dao('key_sets').insert({ name: 'ks' }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="ks"}'`,
      fields: { name: 'ks' },
    })
    const c = await db.dao('certificates').insert({ ...pair })
    await db.dao('snis').insert({ name: 'x.test', certificate: { id: c.id } })
    await rejectsWith(db.dao('snis').insert({ name: 'x.test', certificate: { id: c.id } }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="x.test"}'`,
      fields: { name: 'x.test' },
    })
  })
})

describe('plugin protocol compatibility', () => {
  it("with a route: protocols must intersect the route's", async () => {
    const r = await db.dao('routes').insert({ protocols: ['http'], paths: ['/'] })
    await rejectsWith(
      db.dao('plugins').insert({ name: 'key-auth', route: { id: r.id }, protocols: ['https'] }),
      {
        code: 2,
        name: 'schema violation',
        message: "schema violation (protocols: must match the associated route's protocols)",
        fields: { protocols: "must match the associated route's protocols" },
      },
    )
    assert.ok(
      await db.dao('plugins').insert({ name: 'key-auth', route: { id: r.id }, protocols: ['http', 'https'] }),
    )
  })

  it('with a service: must intersect at least one of its routes (passes without routes)', async () => {
    const s = await db.dao('services').insert({ host: 'a.test' })
    const p = await db.dao('plugins').insert({ name: 'key-auth', service: { id: s.id }, protocols: ['grpc'] })
    await db.dao('plugins').delete({ id: id(p) })
    await db.dao('routes').insert({ protocols: ['http'], paths: ['/'], service: { id: s.id } })
    await rejectsWith(
      db.dao('plugins').insert({ name: 'key-auth', service: { id: s.id }, protocols: ['grpc'] }),
      {
        code: 2,
        name: 'schema violation',
        message:
          "schema violation (protocols: must match the protocols of at least one route pointing to this Plugin's service)",
        fields: {
          protocols: "must match the protocols of at least one route pointing to this Plugin's service",
        },
      },
    )
  })

  it('is checked on update when protocols change', async () => {
    const r = await db.dao('routes').insert({ protocols: ['http'], paths: ['/'] })
    const p = await db.dao('plugins').insert({ name: 'key-auth', route: { id: r.id } })
    await rejectsWith(db.dao('plugins').update({ id: id(p) }, { protocols: ['grpc'] }), {
      code: 2,
      name: 'schema violation',
      message: "schema violation (protocols: must match the associated route's protocols)",
      fields: { protocols: "must match the associated route's protocols" },
    })
  })
})
