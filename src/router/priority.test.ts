import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compareMatcherKeys, computePriority, type PriorityInput, priorityToBigInt } from './priority.js'

const base: PriorityInput = {
  weight: 0,
  plainHosts: false,
  headerCount: 0,
  regex: false,
  regexPriority: 0,
  prefixLength: 0,
}

const big = (p: Partial<PriorityInput>) => priorityToBigInt(computePriority({ ...base, ...p }))

describe('computePriority (router.md §5.1 bit layout)', () => {
  it('places every field at its bits', () => {
    assert.equal(big({ weight: 1 }), 1n << 61n)
    assert.equal(big({ weight: 7 }), 7n << 61n)
    assert.equal(big({ plainHosts: true }), 1n << 60n)
    assert.equal(big({ headerCount: 1 }), 1n << 52n)
    assert.equal(big({ headerCount: 255 }), 255n << 52n)
    assert.equal(big({ regex: true }), 1n << 51n)
    assert.equal(big({ regex: true, regexPriority: 10 }), (1n << 51n) | (10n << 19n))
    assert.equal(big({ regex: true, regexPriority: 0xffffffff }), (1n << 51n) | (0xffffffffn << 19n))
    assert.equal(big({ prefixLength: 12 }), 12n)
  })

  it('a full value', () => {
    const v = big({
      weight: 3,
      plainHosts: true,
      headerCount: 2,
      regex: true,
      regexPriority: 0x12345,
      prefixLength: 0,
    })
    assert.equal(v, (3n << 61n) | (1n << 60n) | (2n << 52n) | (1n << 51n) | (0x12345n << 19n))
    assert.equal(
      big({ weight: 7, plainHosts: true, headerCount: 300, prefixLength: 0x7ffff }),
      0xfff000000007ffffn,
    )
  })

  it('caps the header count at 255 and masks the prefix length to 19 bits', () => {
    assert.equal(big({ headerCount: 1000 }), 255n << 52n)
    assert.equal(big({ prefixLength: 0x80001 }), 1n)
  })

  it('ignores regex_priority for prefix groups', () => {
    assert.equal(big({ regexPriority: 99, prefixLength: 4 }), 4n)
  })

  it('negative regex_priority occupies 0 and orders below 0', () => {
    assert.equal(big({ regex: true, regexPriority: -5 }), 1n << 51n)
    const neg = { ...computePriority({ ...base, regex: true, regexPriority: -5 }), idKey: 'b' }
    const zero = { ...computePriority({ ...base, regex: true, regexPriority: 0 }), idKey: 'a' }
    assert.ok(compareMatcherKeys(zero, neg) < 0)
  })

  it('orders like the 64-bit integer, then by greater id', () => {
    const inputs: Partial<PriorityInput>[] = [
      { weight: 2 },
      { weight: 1, plainHosts: true, headerCount: 255, regex: true, regexPriority: 0xffffffff },
      { weight: 1, plainHosts: true },
      { weight: 1, headerCount: 3 },
      { weight: 1, regex: true, regexPriority: 0x2000 },
      { weight: 1, regex: true, regexPriority: 0x1fff },
      { weight: 1, prefixLength: 100 },
      { weight: 1, prefixLength: 99 },
    ]
    const keys = inputs.map((p, i) => ({ ...computePriority({ ...base, ...p }), idKey: String(i) }))
    const sorted = [...keys].sort(compareMatcherKeys)
    assert.deepEqual(
      sorted.map((k) => k.idKey),
      ['0', '1', '2', '3', '4', '5', '6', '7'],
    )
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(priorityToBigInt(sorted[i - 1]) > priorityToBigInt(sorted[i]))
    }
    const p = computePriority({ ...base, weight: 1 })
    assert.ok(compareMatcherKeys({ ...p, idKey: 'b' }, { ...p, idKey: 'a' }) < 0)
  })
})
