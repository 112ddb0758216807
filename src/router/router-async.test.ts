// The sliced build (compileRouterAsync) and rebuilds that reuse the previous router. Equivalence
// with the synchronous build over the randomized reference cases is checked in
// router-reference.test.ts, over the worked examples in router.test.ts.
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { describe, it } from 'node:test'
import { MatcherCompiler } from './matcher.js'
import { compileRouter, compileRouterAsync } from './router.js'
import { runSliced, runSync, Slicer, sortSliced } from './slicer.js'
import type { RequestAttributes, Router, RouterRoute } from './types.js'

function uuid(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
}

/** The configuration of the issue: hosts, prefix paths, 10% regex paths. */
function routesOf(n: number): RouterRoute[] {
  const routes: RouterRoute[] = []
  for (let i = 0; i < n; i++) {
    const paths = i % 10 === 9 ? [`~/api/v\\d+/res${i}/(?<id>\\d+)$`] : [`/api/v${i % 7}/res${i}`]
    routes.push({ id: uuid(i), hosts: [`host${i % 5000}.bench.test`], paths })
  }
  return routes
}

function req(host: string, path: string, method = 'GET'): RequestAttributes {
  return { method, host, path, port: 8000, headers: {}, scheme: 'http' }
}

/**
 * Runs `work` while a `setImmediate` loop timestamps every turn of the event loop: the longest
 * gap between two turns is the longest time the loop was blocked.
 */
async function watchLoop(work: () => Promise<unknown>): Promise<{ longestMs: number; turns: number }> {
  let last = performance.now()
  let longestMs = 0
  let turns = 0
  let running = true
  const tick = () => {
    const now = performance.now()
    if (now - last > longestMs) longestMs = now - last
    last = now
    turns++
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  await work()
  running = false
  const end = performance.now()
  if (end - last > longestMs) longestMs = end - last
  return { longestMs, turns }
}

/** Counts route compilations (reused routes are not compiled again). */
async function countCompiles<T>(work: () => T | Promise<T>): Promise<{ result: T; compiled: string[] }> {
  const proto = MatcherCompiler.prototype
  const original = proto.compile
  const compiled: string[] = []
  proto.compile = function (this: MatcherCompiler, route: RouterRoute) {
    compiled.push(route.id)
    return original.call(this, route)
  } as typeof original
  try {
    return { result: await work(), compiled }
  } finally {
    proto.compile = original
  }
}

describe('compileRouterAsync', () => {
  it('builds the same router as compileRouter at 10,000 routes', async () => {
    const routes = routesOf(10_000)
    const sync = compileRouter(routes)
    const sliced = await compileRouterAsync(routes)
    assert.deepEqual(sliced.errors, [])
    assert.equal(sliced.routeCount, 10_000)
    assert.deepEqual(sliced.describe(), sync.describe())
    for (const i of [0, 9, 4999, 5009, 9999]) {
      const path = i % 10 === 9 ? `/api/v2/res${i}/42` : `/api/v${i % 7}/res${i}/x`
      const a = req(`host${i % 5000}.bench.test`, path)
      assert.equal(sliced.match(a)?.route, routes[i])
      assert.deepEqual(sliced.match(a), sync.match(a))
    }
  })

  it('gives the event loop a turn between slices (sliceMs 0: after every route)', async () => {
    const routes = routesOf(500)
    const { turns } = await watchLoop(() => compileRouterAsync(routes, { sliceMs: 0 }))
    assert.ok(turns >= 500, `${turns} turns`)
  })

  it('compiles 10,000 routes in slices, giving the event loop turns in between', async () => {
    // How long each slice blocks is a matter for bench/router (wall-clock bounds fail on a busy
    // machine); here: the build is cut into many pieces with the default slice length.
    const routes = routesOf(10_000)
    const { turns } = await watchLoop(() => compileRouterAsync(routes))
    assert.ok(turns >= 4, `the build took ${turns} turns of the event loop`)
  })

  it('rejects an unsupported flavor', async () => {
    await assert.rejects(
      compileRouterAsync([], { flavor: 'expressions' as 'traditional_compatible' }),
      /unsupported router flavor/,
    )
  })
})

describe('sortSliced', () => {
  it('sorts like Array.prototype.sort under a total order, at every size', async () => {
    let s = 12345
    const rnd = (n: number) => {
      s = (s * 1103515245 + 12345) & 0x7fffffff
      return (s >> 8) % n
    }
    for (const n of [0, 1, 2, 1023, 1024, 1025, 2048, 3000, 5000, 20_000]) {
      const items = Array.from({ length: n }, (_, i) => ({ key: rnd(50), i }))
      const cmp = (a: { key: number; i: number }, b: { key: number; i: number }) => a.key - b.key || a.i - b.i
      const want = items.slice().sort(cmp)
      assert.deepEqual(runSync(sortSliced(items.slice(), cmp, Slicer.never)), want, `n=${n}`)
      const slicer = new Slicer(0)
      assert.deepEqual(await runSliced(sortSliced(items.slice(), cmp, slicer), slicer), want, `n=${n}`)
    }
  })
})

describe('rebuilds with opts.previous', () => {
  it('only compiles new and changed routes; results point to the new route objects', async () => {
    const routes = routesOf(2_000)
    const version = new Map<RouterRoute, number>(routes.map((r) => [r, 1]))
    const previous = compileRouter(routes)
    // The next snapshot: new objects for every route (same version), one changed, one added,
    // one removed.
    const next = routes.slice(1).map((r) => {
      const copy = { ...r }
      version.set(copy, 1)
      return copy
    })
    next[10] = { ...next[10], paths: ['/changed'] }
    version.set(next[10], 2)
    const added = { id: uuid(99_999), paths: ['/added'] }
    version.set(added, 1)
    next.push(added)
    const routeVersion = (r: RouterRoute) => version.get(r)

    const { result: reused, compiled } = await countCompiles(() =>
      compileRouterAsync(next, { previous, routeVersion }),
    )
    assert.deepEqual(compiled.sort(), [next[10].id, added.id].sort())
    assert.deepEqual(reused.describe(), compileRouter(next).describe())
    assert.equal(reused.match(req('host11.bench.test', '/changed'))?.route, next[10])
    assert.equal(reused.match(req('host11.bench.test', '/api/v4/res11/x')), null)
    assert.equal(reused.match(req('any', '/added'))?.route, added)
    assert.equal(reused.match(req('host0.bench.test', '/api/v0/res0')), null)
    const i = 1233
    assert.equal(reused.match(req(`host${i}.bench.test`, `/api/v${i % 7}/res${i}`))?.route, next[i - 1])

    // Without routeVersion only identical objects are reused.
    const { compiled: again } = await countCompiles(() => compileRouter(next, { previous }))
    assert.equal(again.length, next.length)
    const { compiled: same } = await countCompiles(() => compileRouter(routes, { previous }))
    assert.equal(same.length, 0)
  })

  it('a route without a version (undefined or null) is compiled again', async () => {
    const a = { id: uuid(1), paths: ['/a'] }
    const b = { id: uuid(2), paths: ['/b'] }
    const previous = compileRouter([a, b])
    const next = [{ ...a }, { ...b }]
    const { compiled } = await countCompiles(() =>
      compileRouter(next, { previous, routeVersion: (r) => (r.id === a.id ? undefined : null) }),
    )
    assert.deepEqual(compiled, [a.id, b.id])
  })

  it('routes that had errors are compiled again (their errors are reported again)', async () => {
    const bad = { id: uuid(1), paths: ['~/a/(', '/ok'] }
    const good = { id: uuid(2), paths: ['/good'] }
    const previous = compileRouter([bad, good])
    assert.equal(previous.errors.length, 1)
    const { result, compiled } = await countCompiles(() => compileRouter([bad, good], { previous }))
    assert.deepEqual(compiled, [bad.id])
    assert.deepEqual(result.errors, previous.errors)
    assert.equal(result.match(req('h', '/ok'))?.route, bad)
  })

  it('full ties (ids equal but for case) follow the new order of the routes', () => {
    const x = { id: 'route-x', paths: ['/tie'] }
    const X = { id: 'ROUTE-X', paths: ['/tie'] }
    const other = { id: uuid(3), paths: ['/other'] }
    const previous = compileRouter([x, X, other])
    assert.equal(previous.match(req('h', '/tie'))?.route, x)
    // Swapped: the first route given wins the tie, with or without reuse.
    const swapped = [X, x, other]
    const fresh = compileRouter(swapped)
    assert.equal(fresh.match(req('h', '/tie'))?.route, X)
    const reused = compileRouter(swapped, { previous })
    assert.deepEqual(reused.describe(), fresh.describe())
    assert.equal(reused.match(req('h', '/tie'))?.route, X)
  })

  it('leaves the previous router untouched', async () => {
    const routes = routesOf(300)
    const previous = compileRouter(routes)
    const before = previous.describe()
    const next = [{ id: uuid(100_000), paths: ['/first'], methods: ['GET'], hosts: ['a.test'] }, ...routes]
    const rebuilt = await compileRouterAsync(next, { previous, sliceMs: 0 })
    assert.deepEqual(previous.describe(), before)
    assert.deepEqual(rebuilt.describe(), compileRouter(next).describe())
    assert.equal(previous.match(req('a.test', '/first')), null)
    assert.equal(rebuilt.match(req('a.test', '/first'))?.route, next[0])
  })

  it('ignores a previous router it did not build', () => {
    const routes = routesOf(20)
    const inner = compileRouter(routes)
    const foreign: Router = {
      routeCount: inner.routeCount,
      matcherCount: inner.matcherCount,
      errors: inner.errors,
      match: (a) => inner.match(a),
      describe: () => inner.describe(),
    }
    assert.deepEqual(
      compileRouter(routes, { previous: foreign }).describe(),
      compileRouter(routes).describe(),
    )
  })
})
