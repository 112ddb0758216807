// The acl handler against a stand-in `kong`: the authenticated-groups paths (set by plugins such
// as LDAP or session through kong.ctx.shared) that the integration tests cannot reach.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Kong, Row } from '../../pdk/types.js'
import acl from './handler.js'

interface Outcome {
  error: [number, string | undefined] | null
  set: Record<string, string>
  cleared: string[]
  warnings: number
  lookups: number
}

async function run(
  config: Record<string, unknown>,
  who: { consumer?: Row | null; credential?: Row | null; groups?: unknown; acls?: string[] },
): Promise<Outcome> {
  const out: Outcome = { error: null, set: {}, cleared: [], warnings: 0, lookups: 0 }
  const kong = {
    client: { getConsumer: () => who.consumer ?? null, getCredential: () => who.credential ?? null },
    ctx: { shared: who.groups === undefined ? {} : { authenticated_groups: who.groups } },
    cache: {
      selectAllFor: async () => {
        out.lookups++
        return (who.acls ?? []).map((group) => ({ group }))
      },
    },
    response: {
      error: (status: number, msg?: string) => {
        out.error = [status, msg]
      },
    },
    service: {
      request: {
        setHeader: (n: string, v: string) => {
          out.set[n] = v
        },
        clearHeader: (n: string) => out.cleared.push(n),
      },
    },
    log: {
      warn: () => {
        out.warnings++
      },
    },
  } as unknown as Kong
  const handler = acl.handler
  if (!handler?.prepare || !handler.access) throw new Error('acl has no access handler')
  const conf = handler.prepare({
    allow: null,
    deny: null,
    hide_groups_header: false,
    always_use_authenticated_groups: false,
    ...config,
  })
  await handler.access(conf, kong)
  return out
}

const consumer = { id: 'c1' }
const credential = { id: 'k1', consumer: { id: 'c1' } }

describe('acl handler', () => {
  it('without a consumer, uses authenticated groups and sends X-Authenticated-Groups', async () => {
    const ok = await run({ allow: ['ldap-admins'] }, { groups: ['ldap-admins', 'users'] })
    assert.equal(ok.error, null)
    assert.deepEqual(ok.set, { 'X-Authenticated-Groups': 'ldap-admins, users' })
    const blocked = await run({ allow: ['ldap-admins'] }, { groups: ['users'] })
    assert.deepEqual(blocked.error, [403, 'You cannot consume this service'])
    const denied = await run({ deny: ['users'] }, { groups: ['users'] })
    assert.deepEqual(denied.error, [403, 'You cannot consume this service'])
  })

  it('without a consumer or groups: 401, or 403 when a credential was authenticated', async () => {
    assert.deepEqual((await run({ allow: ['a'] }, {})).error, [401, undefined])
    assert.deepEqual((await run({ allow: ['a'] }, { credential: { id: 'k' } })).error, [
      403,
      'You cannot consume this service',
    ])
  })

  it('ignores (and warns about) authenticated_groups that are not an array', async () => {
    const out = await run({ allow: ['a'] }, { groups: 'a' })
    assert.deepEqual(out.error, [401, undefined])
    assert.equal(out.warnings, 1)
  })

  it('an anonymous consumer (no credential) uses authenticated groups before its own', async () => {
    const out = await run({ allow: ['sso'] }, { consumer, groups: ['sso'], acls: ['other'] })
    assert.equal(out.error, null)
    assert.deepEqual(out.set, { 'X-Authenticated-Groups': 'sso' })
    assert.equal(out.lookups, 0)
    const own = await run({ allow: ['other'] }, { consumer, acls: ['other'] })
    assert.deepEqual(own.set, { 'X-Consumer-Groups': 'other' })
  })

  it('a consumer with a credential uses its own groups unless always_use_authenticated_groups', async () => {
    const own = await run({ allow: ['other'] }, { consumer, credential, groups: ['sso'], acls: ['other'] })
    assert.deepEqual(own.set, { 'X-Consumer-Groups': 'other' })
    const always = await run(
      { allow: ['sso'], always_use_authenticated_groups: true },
      { consumer, credential, groups: ['sso'], acls: ['other'] },
    )
    assert.equal(always.error, null)
    assert.deepEqual(always.set, { 'X-Authenticated-Groups': 'sso' })
    // ...falling back to the consumer's groups when none were authenticated
    const fallback = await run(
      { allow: ['other'], always_use_authenticated_groups: true },
      { consumer, credential, acls: ['other'] },
    )
    assert.deepEqual(fallback.set, { 'X-Consumer-Groups': 'other' })
  })

  it('finds the consumer through the credential alone', async () => {
    const out = await run({ allow: ['g'] }, { credential, acls: ['g'] })
    assert.equal(out.lookups, 1)
    assert.deepEqual(out.set, { 'X-Consumer-Groups': 'g' })
  })

  it('deny with no groups passes and clears the header; hide_groups_header sets nothing', async () => {
    const none = await run({ deny: ['x'] }, { consumer, credential, acls: [] })
    assert.equal(none.error, null)
    assert.deepEqual(none.cleared, ['X-Consumer-Groups'])
    const hidden = await run(
      { allow: ['g'], hide_groups_header: true },
      { consumer, credential, acls: ['g'] },
    )
    assert.deepEqual(hidden.set, {})
    assert.deepEqual(hidden.cleared, [])
  })
})
