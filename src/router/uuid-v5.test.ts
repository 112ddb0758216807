import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { uuidV5Factory } from './uuid-v5.js'

describe('uuidV5Factory', () => {
  it("matches lua-resty-jit-uuid's documented values", () => {
    const f = uuidV5Factory('e6ebd542-06ae-11e6-8e82-bba81706b27d')
    assert.equal(f('hello'), '4850816f-1658-5890-8bfd-1ed14251f1f0')
    assert.equal(f('foobar'), 'c9be99fc-326b-5066-bdba-dcd31a6d01ab')
  })

  it('rejects an invalid namespace', () => {
    assert.throws(() => uuidV5Factory('nope'))
  })
})
