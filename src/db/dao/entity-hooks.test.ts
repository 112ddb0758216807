// Per-entity DAO behaviour over a real SQLite store: certificates and their transient `snis`
// (entities.md §8), CA certificate digests and references (§10, §1.10), target normalization,
// default port and timestamps (§7).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { openTestDb, type TestDb } from '../../../test/helpers/db.js'
import { generateSelfSigned, type KeyPair } from '../../tls/self-signed.js'
import type { DB } from './db.js'
import { DaoError, type DaoErrorBody } from './errors.js'

let t: TestDb
let db: DB
let pair: KeyPair
let dir: string
let caPem: string
let ca2Pem: string

before(() => {
  pair = generateSelfSigned({ type: 'ec' })
  dir = mkdtempSync(join(tmpdir(), 'sb-ca-'))
  writeFileSync(
    join(dir, 'openssl.cnf'),
    '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = ca.test\n[ca_ext]\nbasicConstraints = critical,CA:TRUE\n',
  )
  for (const name of ['ca', 'ca2']) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-config',
        'openssl.cnf',
        '-extensions',
        'ca_ext',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '30',
      ],
      { cwd: dir, stdio: 'pipe' },
    )
  }
  caPem = readFileSync(join(dir, 'ca.crt'), 'utf8')
  ca2Pem = readFileSync(join(dir, 'ca2.crt'), 'utf8')
})

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  t = await openTestDb()
  db = t.db
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

const id = (row: Record<string, unknown>) => String(row.id)

async function sniNames(certId: string): Promise<string[]> {
  const page = await db.dao('snis').pageFor('certificate', certId)
  return page.data.map((s) => String(s.name)).sort()
}

describe('certificates and snis', () => {
  it('creates one SNI entity per name and returns the names sorted', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['b.test', '*.a.test', 'a.test'] })
    assert.deepEqual(c.snis, ['*.a.test', 'a.test', 'b.test'])
    assert.deepEqual(await sniNames(id(c)), ['*.a.test', 'a.test', 'b.test'])
    const sni = await db.dao('snis').selectBy('name', 'a.test')
    assert.deepEqual(sni?.certificate, { id: c.id })
  })

  it('returns snis [] when none, in select and page', async () => {
    const c = await db.dao('certificates').insert({ ...pair })
    assert.deepEqual(c.snis, [])
    assert.deepEqual((await db.dao('certificates').select(id(c)))?.snis, [])
    assert.deepEqual((await db.dao('certificates').page()).data[0].snis, [])
  })

  it('select and page include the sorted names', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['z.test', 'm.test'] })
    assert.deepEqual((await db.dao('certificates').select(id(c)))?.snis, ['m.test', 'z.test'])
    assert.deepEqual((await db.dao('certificates').page()).data[0].snis, ['m.test', 'z.test'])
  })

  it('duplicates in the list: schema violation', async () => {
    await rejectsWith(db.dao('certificates').insert({ ...pair, snis: ['a.test', 'a.test'] }), {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (snis: a.test is duplicated)',
      fields: { snis: 'a.test is duplicated' },
    })
    assert.equal((await db.dao('certificates').page()).data.length, 0)
  })

  it('a name owned by another certificate: schema violation', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test'] })
    await rejectsWith(db.dao('certificates').insert({ ...pair, snis: ['a.test'] }), {
      code: 2,
      name: 'schema violation',
      message: `schema violation (snis: a.test already associated with existing certificate '${id(c)}')`,
      fields: { snis: `a.test already associated with existing certificate '${id(c)}'` },
    })
  })

  it('update with snis replaces the set; without snis keeps it', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test', 'b.test'] })
    const u = await db.dao('certificates').update({ id: id(c) }, { snis: ['b.test', 'c.test'] })
    assert.deepEqual(u.snis, ['b.test', 'c.test'])
    assert.deepEqual(await sniNames(id(c)), ['b.test', 'c.test'])
    assert.equal(await db.dao('snis').selectBy('name', 'a.test'), null)
    const kept = await db.dao('certificates').update({ id: id(c) }, { tags: ['x'] })
    assert.deepEqual(kept.snis, ['b.test', 'c.test'])
  })

  it('upsert with snis null removes them all', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test'] })
    const u = await db.dao('certificates').upsert({ id: id(c) }, { ...pair, snis: null })
    assert.deepEqual(u.snis, [])
    assert.deepEqual(await sniNames(id(c)), [])
  })

  it('snis are not stored on the certificate row', async () => {
    const c = await db.dao('certificates').insert({ ...pair, snis: ['a.test'] })
    const raw = await db.strategy.select(db.dao('certificates').table, id(c))
    assert.equal(Object.hasOwn(raw ?? {}, 'snis'), false)
  })

  it('creating the certificate and its SNIs is one change batch', async () => {
    const batches: string[][] = []
    db.on('change', (b) => batches.push(b.events.map((e) => `${e.operation} ${e.entity}`)))
    await db.dao('certificates').insert({ ...pair, snis: ['a.test', 'b.test'] })
    assert.equal(batches.length, 1)
    assert.deepEqual(batches[0].sort(), ['create certificates', 'create snis', 'create snis'])
  })
})

describe('ca_certificates', () => {
  it('computes cert_digest: lowercase hex SHA-256 of the DER', async () => {
    const c = await db.dao('ca_certificates').insert({ cert: caPem })
    const expected = createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex')
    assert.equal(c.cert_digest, expected)
    assert.match(String(c.cert_digest), /^[0-9a-f]{64}$/)
  })

  it('ignores a client digest', async () => {
    const c = await db.dao('ca_certificates').insert({ cert: caPem, cert_digest: 'abc' })
    assert.equal(c.cert_digest, createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex'))
  })

  it('the same CA twice: code 5 on cert_digest', async () => {
    const c = await db.dao('ca_certificates').insert({ cert: caPem })
    await rejectsWith(db.dao('ca_certificates').insert({ cert: caPem }), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{cert_digest="${String(c.cert_digest)}"}'`,
      fields: { cert_digest: c.cert_digest },
    })
  })

  it('delete is refused while a service lists it, whatever the case of the listed id', async () => {
    const c = await db.dao('ca_certificates').insert({ cert: caPem })
    const s = await db
      .dao('services')
      .insert({ protocol: 'https', host: 'a.test', ca_certificates: [id(c).toUpperCase()] })
    await rejectsWith(db.dao('ca_certificates').delete({ id: id(c) }), {
      code: 19,
      name: 'referenced by others',
      message: `ca certificate ${id(c)} is still referenced by services (id = ${id(s)})`,
    })
  })

  it('recomputes the digest when the cert changes', async () => {
    const c = await db.dao('ca_certificates').insert({ cert: caPem })
    const u = await db.dao('ca_certificates').update({ id: id(c) }, { cert: ca2Pem })
    assert.equal(u.cert_digest, createHash('sha256').update(new X509Certificate(ca2Pem).raw).digest('hex'))
  })

  it('delete is refused while a service lists it (code 19)', async () => {
    const c = await db.dao('ca_certificates').insert({ cert: caPem })
    const s = await db.dao('services').insert({ protocol: 'https', host: 'a.test', ca_certificates: [c.id] })
    await rejectsWith(db.dao('ca_certificates').delete({ id: id(c) }), {
      code: 19,
      name: 'referenced by others',
      message: `ca certificate ${id(c)} is still referenced by services (id = ${id(s)})`,
    })
    assert.ok(await db.dao('ca_certificates').select(id(c)))
    await db.dao('services').update({ id: id(s) }, { ca_certificates: null })
    assert.equal(await db.dao('ca_certificates').delete({ id: id(c) }), true)
  })
})

describe('targets', () => {
  async function target(value: string) {
    const u = await db.dao('upstreams').insert({ name: `u${Math.random().toString(36).slice(2)}.test` })
    return db.dao('targets').insert({ upstream: { id: u.id }, target: value })
  }

  it('appends the default port 8000', async () => {
    assert.equal((await target('konghq.test')).target, 'konghq.test:8000')
    assert.equal((await target('konghq.test:80')).target, 'konghq.test:80')
  })

  it('normalizes IPv4 and IPv6', async () => {
    assert.equal((await target('001.002.003.004:80')).target, '1.2.3.4:80')
    assert.equal((await target('10.0.0.1')).target, '10.0.0.1:8000')
    assert.equal((await target('::1')).target, '[0000:0000:0000:0000:0000:0000:0000:0001]:8000')
    assert.equal((await target('[::1]:81')).target, '[0000:0000:0000:0000:0000:0000:0000:0001]:81')
  })

  it('reads return the normalized form', async () => {
    const t1 = await target('konghq.test')
    assert.equal((await db.dao('targets').select(id(t1)))?.target, 'konghq.test:8000')
    const page = await db.dao('targets').pageFor('upstream', String((t1.upstream as { id: string }).id))
    assert.deepEqual(
      page.data.map((r) => r.target),
      ['konghq.test:8000'],
    )
  })

  it('invalid targets are reported as given', async () => {
    const u = await db.dao('upstreams').insert({ name: 'up.test' })
    await rejectsWith(db.dao('targets').insert({ upstream: { id: u.id }, target: 'a b' }), {
      code: 2,
      name: 'schema violation',
      message: "schema violation (target: Invalid target ('a b'); not a valid hostname or ip address)",
      fields: { target: "Invalid target ('a b'); not a valid hostname or ip address" },
    })
  })

  it('timestamps are seconds with millisecond precision', async () => {
    const before = Date.now() / 1000
    const t1 = await target('a.test')
    const ts = t1.created_at as number
    assert.equal(t1.created_at, t1.updated_at)
    assert.ok(ts >= Math.floor(before * 1000) / 1000 - 0.001 && ts <= Date.now() / 1000 + 0.001, String(ts))
    assert.equal(Math.round(ts * 1000) / 1000, ts)
  })

  it('weight defaults to 100, upstream is required', async () => {
    assert.equal((await target('a.test')).weight, 100)
    await rejectsWith(db.dao('targets').insert({ target: 'a.test' }), {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (upstream: required field missing)',
      fields: { upstream: 'required field missing' },
    })
  })

  it('update normalizes too', async () => {
    const t1 = await target('a.test')
    assert.equal((await db.dao('targets').update({ id: id(t1) }, { target: 'b.test' })).target, 'b.test:8000')
  })
})
