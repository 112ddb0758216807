import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newHandle } from './address.js'
import { type AlgorithmName, Balancer, BalancerRegistry, type TargetSpec } from './balancer.js'

function targets(n: number, weight = 100, from = 1): TargetSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    target: `10.0.0.${from + i}:8000`,
    host: `10.0.0.${from + i}`,
    port: 8000,
    weight,
    isIp: true,
  }))
}

const balancer = (algorithm: AlgorithmName, list: TargetSpec[], slots = 10000) =>
  new Balancer('test', { algorithm, slots, targets: list })

function counts(b: Balancer, n: number, hash?: (i: number) => string): Map<string, number> {
  const out = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const a = b.pick(newHandle(), hash?.(i))
    assert.ok(a)
    b.done(a)
    out.set(a.key, (out.get(a.key) ?? 0) + 1)
  }
  return out
}

describe('round-robin', () => {
  it('gives each address exactly its weight share over a full turn of the wheel', () => {
    const list = [...targets(1, 300), ...targets(1, 200, 2), ...targets(1, 100, 3)]
    const b = balancer('round-robin', list)
    // gcd 100: a wheel of 6 slots; 5 turns
    assert.deepEqual(
      Object.fromEntries(counts(b, 30)),
      Object.fromEntries([
        ['10.0.0.1:8000', 15],
        ['10.0.0.2:8000', 10],
        ['10.0.0.3:8000', 5],
      ]),
    )
  })

  it('skips unavailable addresses, leaves out weight 0, and has no peer when none is left', () => {
    const b = balancer('round-robin', [...targets(2), ...targets(1, 0, 3)])
    assert.equal(b.addresses.length, 2)
    b.addresses[0].available = false
    assert.deepEqual([...counts(b, 4).keys()], ['10.0.0.2:8000'])
    b.addresses[1].available = false
    assert.equal(b.pick(newHandle()), null)
    assert.equal(balancer('round-robin', []).pick(newHandle()), null)
  })
})

describe('consistent-hashing', () => {
  it('sends the same hash value to the same address, and spreads values evenly', () => {
    const b = balancer('consistent-hashing', targets(4))
    const first = b.pick(newHandle(), 'user-42')
    for (let i = 0; i < 10; i++) assert.equal(b.pick(newHandle(), 'user-42'), first)
    const spread = counts(b, 8000, (i) => `key-${i}`)
    assert.equal(spread.size, 4)
    for (const n of spread.values()) assert.ok(n > 1200 && n < 2800, `${n} of 8000`)
  })

  it('moves about 1/11 of the keys when an 11th target joins, most of them to it', () => {
    const before = balancer('consistent-hashing', targets(10))
    const after = balancer('consistent-hashing', targets(11))
    const n = 20000
    let moved = 0
    let toNew = 0
    for (let i = 0; i < n; i++) {
      const a = before.pick(newHandle(), `k${i}`)!.key
      const b = after.pick(newHandle(), `k${i}`)!.key
      if (a !== b) moved++
      if (a !== b && b === '10.0.0.11:8000') toNew++
    }
    const ratio = moved / n
    assert.ok(ratio > 0.06 && ratio < 0.12, `moved ${ratio}`)
    // (measured: 10.7 % moved, 84 % of them to the new target; its points can take places the
    // old ones had, which then move on: Kong's ring does the same)
    assert.ok(toNew / moved > 0.75, `${toNew} of ${moved} to the new target`)
  })

  it('walks down the ring past an unavailable address; a retry keeps its start', () => {
    const b = balancer('consistent-hashing', targets(3))
    const h = newHandle()
    const first = b.pick(h, 'abc')!
    first.available = false
    const second = b.pick(h, 'ignored on retry')!
    assert.notEqual(second, first)
    assert.equal(b.pick(newHandle(), 'abc'), second)
    for (const a of b.addresses) a.available = false
    assert.equal(b.pick(newHandle(), 'abc'), null)
  })

  it('uses at least 1000 places, and places points as Kong does', () => {
    const b = balancer('consistent-hashing', targets(1), 10)
    assert.equal(b.addresses.length, 1)
    // xxhash32("10.0.0.1::8000 1") = 0x5bcfc2d6 → place 0x5bcfc2d6 % 1000 + 1
    const ring = (b as unknown as { algorithm: { ring: unknown[]; size: number } }).algorithm
    assert.equal(ring.size, 1000)
    assert.equal(ring.ring[(0x5bcfc2d6 % 1000) + 1], b.addresses[0])
    // one target: 160 points
    assert.equal(ring.ring.filter((x) => x !== undefined).length, 160)
  })
})

describe('least-connections', () => {
  it('prefers the address with the fewest requests in flight per weight', () => {
    const b = balancer('least-connections', [...targets(1, 100), ...targets(1, 200, 2)])
    const held = [b.pick(newHandle())!, b.pick(newHandle())!, b.pick(newHandle())!]
    // scores: 1/100 vs 1/200 → .2; then 1/100 vs 2/200 → tie; ...
    assert.deepEqual(
      held.map((a) => a.key),
      ['10.0.0.2:8000', '10.0.0.1:8000', '10.0.0.2:8000'],
    )
    for (const a of held) b.done(a)
    assert.deepEqual(
      b.addresses.map((a) => a.connections),
      [0, 0],
    )
  })

  it('spreads light traffic: equal scores go round in turn', () => {
    const b = balancer('least-connections', targets(3))
    assert.deepEqual(Object.fromEntries(counts(b, 9)), {
      '10.0.0.1:8000': 3,
      '10.0.0.2:8000': 3,
      '10.0.0.3:8000': 3,
    })
  })

  it('a retry goes to an address not tried yet, then starts over', () => {
    const b = balancer('least-connections', targets(2))
    const h = newHandle()
    const a = b.pick(h)!
    b.done(a)
    const c = b.pick(h)!
    assert.notEqual(c, a)
    b.done(c)
    assert.ok(b.pick(h))
  })
})

describe('latency', () => {
  it('prefers the faster address, and a retry never returns a tried one', () => {
    const b = balancer('latency', targets(2))
    const [fast, slow] = b.addresses
    b.done(b.pick(newHandle())!, 0)
    fast.ewma = 0.01
    slow.ewma = 0.2
    fast.ewmaAt = slow.ewmaAt = Date.now()
    const h = newHandle()
    assert.equal(b.pick(h), fast)
    assert.equal(b.pick(h), slow)
    assert.equal(b.pick(h), null)
  })

  it('averages with a 10 s decay, and seeds new addresses with the average of the others', () => {
    const b = balancer('latency', targets(2))
    const a = b.addresses[0]
    b.done(a, 1)
    assert.equal(a.ewma, 1)
    const then = a.ewmaAt
    a.ewmaAt = then - 10_000
    b.done(a, 0)
    assert.ok(Math.abs(a.ewma - Math.exp(-1)) < 0.01, String(a.ewma))
    const registry = new BalancerRegistry()
    const first = registry.balancer('u', { algorithm: 'latency', slots: 10000, targets: targets(1) })
    first.done(first.addresses[0], 0.5)
    const second = registry.balancer('u', { algorithm: 'latency', slots: 10000, targets: targets(2) })
    assert.notEqual(second, first)
    assert.equal(second.addresses[0].ewma, 0.5, 'kept across the rebuild')
    assert.equal(second.addresses[1].ewma, 0.5, 'seeded')
  })
})

describe('BalancerRegistry', () => {
  it('keeps a balancer while its upstream and targets are unchanged', () => {
    const r = new BalancerRegistry()
    const spec = { algorithm: 'round-robin' as const, slots: 10000, targets: targets(3) }
    const b = r.balancer('u', spec)
    assert.equal(r.balancer('u', { ...spec, targets: targets(3) }), b)
    assert.notEqual(r.balancer('u', { ...spec, targets: targets(3, 50) }), b)
    r.retain(new Set())
    assert.notEqual(r.balancer('u', spec), b)
  })
})
