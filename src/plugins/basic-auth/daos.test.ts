// basicauth_credentials over a real SQLite store: the password is hashed on every write that
// carries one (insert, update, upsert), kept otherwise, and a consumer change needs the password.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { openTestDb, type TestDb } from '../../../test/helpers/db.js'
import { DaoError } from '../../db/dao/errors.js'
import { hashPassword } from './crypto.js'

let t: TestDb
let alice: Record<string, unknown>
let bob: Record<string, unknown>

beforeEach(async () => {
  t = await openTestDb()
  alice = await t.db.dao('consumers').insert({ username: 'alice' })
  bob = await t.db.dao('consumers').insert({ username: 'bob' })
})

afterEach(async () => {
  await t.close()
})

const creds = () => t.db.dao('basicauth_credentials')

describe('basicauth_credentials', () => {
  it('stores the SHA-1 of password .. consumer_id on insert, and returns only that', async () => {
    const c = await creds().insert({ username: 'u1', password: 'kong', consumer: { id: alice.id } })
    assert.equal(c.password, hashPassword(String(alice.id), 'kong'))
    const read = await creds().selectBy('username', 'u1')
    assert.equal(read?.password, hashPassword(String(alice.id), 'kong'))
  })

  it('re-hashes on update and upsert when a password is given, keeps the hash otherwise', async () => {
    const c = await creds().insert({ username: 'u2', password: 'one', consumer: { id: alice.id } })
    const renamed = await creds().update(
      { id: String(c.id) },
      { username: 'u2b', consumer: { id: alice.id } },
    )
    assert.equal(renamed.password, c.password)
    const changed = await creds().update(
      { id: String(c.id) },
      { password: 'two', consumer: { id: alice.id } },
    )
    assert.equal(changed.password, hashPassword(String(alice.id), 'two'))
    const moved = await creds().update({ id: String(c.id) }, { password: 'three', consumer: { id: bob.id } })
    assert.equal(moved.password, hashPassword(String(bob.id), 'three'))
    const put = await creds().upsert(
      { field: 'username', value: 'u2b' },
      { password: 'four', consumer: { id: bob.id } },
    )
    assert.equal(put.password, hashPassword(String(bob.id), 'four'))
    const created = await creds().upsert(
      { field: 'username', value: 'u3' },
      { password: 'p', consumer: { id: bob.id } },
    )
    assert.equal(created.password, hashPassword(String(bob.id), 'p'))
  })

  it('refuses to move a credential to another consumer without its password (Kong transformation check)', async () => {
    const c = await creds().insert({ username: 'u4', password: 'pw', consumer: { id: alice.id } })
    await assert.rejects(
      creds().update({ id: String(c.id) }, { consumer: { id: bob.id } }),
      (err: unknown) => {
        assert.ok(err instanceof DaoError)
        assert.equal(
          err.message,
          "schema violation (all or none of these fields must be set: 'password', 'consumer.id')",
        )
        return true
      },
    )
    // a password without the consumer in the same update is refused for the same reason
    await assert.rejects(creds().update({ id: String(c.id) }, { password: 'new' }), DaoError)
    // a rename that does not touch the consumer or the password is fine
    assert.equal((await creds().update({ id: String(c.id) }, { username: 'u4b' })).username, 'u4b')
  })
})
