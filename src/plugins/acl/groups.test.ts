import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { authenticatedGroups, consumerVerdict, currentConsumerId, prepareAcl, verdict } from './groups.js'

const base = { allow: null, deny: null, hide_groups_header: false, always_use_authenticated_groups: false }

describe('acl verdicts', () => {
  it('allow: passes iff one group is listed; the header lists every group', () => {
    const conf = prepareAcl({ ...base, allow: ['admin', 'ops'] })
    assert.deepEqual(verdict(conf, ['dev', 'ops']), { blocked: false, header: 'dev, ops' })
    assert.deepEqual(verdict(conf, ['dev']), { blocked: true })
    assert.deepEqual(verdict(conf, []), { blocked: true })
  })

  it('deny: blocks iff one group is listed; no group passes', () => {
    const conf = prepareAcl({ ...base, deny: ['banned'] })
    assert.deepEqual(verdict(conf, ['dev', 'banned']), { blocked: true })
    assert.deepEqual(verdict(conf, ['dev']), { blocked: false, header: 'dev' })
    assert.deepEqual(verdict(conf, []), { blocked: false, header: '' })
  })

  it('an empty deny list means allow (Kong picks deny only when it has entries)', () => {
    const conf = prepareAcl({ ...base, allow: ['a'], deny: [] })
    assert.equal(conf.deny, false)
    assert.deepEqual(conf.groups, ['a'])
  })

  it('group names match exactly', () => {
    const conf = prepareAcl({ ...base, allow: ['Admin'] })
    assert.equal(verdict(conf, ['admin']).blocked, true)
  })

  it('hide_groups_header leaves the header value empty', () => {
    const conf = prepareAcl({ ...base, allow: ['a'], hide_groups_header: true })
    assert.deepEqual(verdict(conf, ['a', 'b']), { blocked: false, header: '' })
  })

  it('memoizes consumer verdicts per cached row list', () => {
    const conf = prepareAcl({ ...base, allow: ['a'] })
    const rows = [{ group: 'b' }, { group: 'a' }]
    const v = consumerVerdict(conf, rows)
    assert.deepEqual(v, { blocked: false, header: 'b, a' })
    assert.equal(consumerVerdict(conf, rows), v)
  })
})

describe('acl inputs', () => {
  it('reads authenticated groups from kong.ctx.shared', () => {
    assert.equal(authenticatedGroups(undefined), null)
    assert.equal(authenticatedGroups(null), null)
    assert.equal(authenticatedGroups('admin'), 'invalid')
    assert.deepEqual(authenticatedGroups(['a', 1, 'b']), ['a', 'b'])
    assert.deepEqual(authenticatedGroups([]), [])
  })

  it('finds the consumer id on the consumer, else on the credential', () => {
    assert.equal(currentConsumerId({ id: 'c1' }, { consumer: { id: 'c2' } }), 'c1')
    assert.equal(currentConsumerId(null, { consumer: { id: 'c2' } }), 'c2')
    assert.equal(currentConsumerId(null, { consumer_id: 'c3' }), 'c3')
    assert.equal(currentConsumerId(null, null), null)
  })
})
