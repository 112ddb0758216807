// Cross-checks the indexed router against a naive reference: every matcher in priority order,
// every condition evaluated directly, first match wins (what Kong's ATC router does). Random
// route sets exercise the host buckets, prefix trees, regex literal prefixes, pruning and the
// cache together.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { groupPaths, splitMatcherId } from './path-groups.js'
import { compareMatcherKeys, computePriority, type Priority } from './priority.js'
import { RegexCompiler } from './regex.js'
import { compileRouter, compileRouterAsync } from './router.js'
import type { RequestAttributes, Router, RouterRoute } from './types.js'

interface RefMatcher extends Priority {
  idKey: string
  route: RouterRoute
  paths: string[]
  regex: boolean
}

const rc = new RegexCompiler()

function splitHost(v: string): [string, number] {
  const i = v.indexOf(':')
  if (i !== -1 && /^\d+$/.test(v.slice(i + 1))) return [v.slice(0, i), Number(v.slice(i + 1))]
  return [v, -1]
}

function hostOk(routeHost: string, host: string, port: number): boolean {
  const [h, p] = splitHost(routeHost)
  if (p !== -1 && p !== port) return false
  if (h.startsWith('*')) return host.endsWith(h.slice(1))
  if (h.endsWith('*')) return host.startsWith(h.slice(0, -1))
  return host === h
}

function reference(routes: RouterRoute[]) {
  const matchers: RefMatcher[] = []
  for (const r of routes) {
    const nonEmpty = (a: readonly unknown[] | null | undefined) => (a ? a.length > 0 : false)
    const hasHeaders = r.headers ? Object.keys(r.headers).length > 0 : false
    const weight = [r.methods, r.hosts, r.paths, r.snis].filter(nonEmpty).length + (hasHeaders ? 1 : 0)
    const groups = r.paths?.length ? groupPaths(r.paths) : [{ regex: false, length: 0, paths: [] }]
    groups.forEach((g, i) => {
      const id = groups.length > 1 ? splitMatcherId(r.id, i) : r.id
      matchers.push({
        ...computePriority({
          weight,
          plainHosts: Array.isArray(r.hosts) && r.hosts.every((h) => !h.includes('*')),
          headerCount: r.headers ? Object.keys(r.headers).length : 0,
          regex: g.regex,
          regexPriority: r.regex_priority ?? 0,
          prefixLength: g.length,
        }),
        idKey: id.toLowerCase(),
        route: r,
        paths: [...g.paths],
        regex: g.regex,
      })
    })
  }
  matchers.sort(compareMatcherKeys)

  return (a: RequestAttributes): { id: string; matchedPath: string | undefined } | null => {
    const [host, hostPort] = a.host === undefined ? [undefined, -1] : splitHost(a.host)
    const port = hostPort === -1 ? a.port : hostPort
    for (const m of matchers) {
      const r = m.route
      if (r.methods?.length && !r.methods.includes(a.method)) continue
      if (r.hosts?.length && (host === undefined || !r.hosts.some((h) => hostOk(h, host, port)))) continue
      let matchedPath: string | undefined
      if (m.paths.length > 0) {
        let found = false
        for (const p of m.paths) {
          if (m.regex) {
            const c = rc.path(p.slice(1))
            const x = 'regex' in c ? c.regex.exec(a.path) : null
            if (x) {
              matchedPath = x[0]
              found = true
              break
            }
          } else if (a.path.startsWith(p)) {
            matchedPath = p
            found = true
            break
          }
        }
        if (!found) continue
      }
      if (r.headers) {
        const ok = Object.entries(r.headers).every(([name, values]) => {
          const v = a.headers[name.toLowerCase().replaceAll('_', '-')]
          const got = v === undefined ? [] : typeof v === 'string' ? [v] : v
          return got.some((g) =>
            values.some((want) => {
              if (!want.startsWith('~*')) return want.toLowerCase() === g.toLowerCase()
              const c = rc.header(want.slice(2))
              return 'regex' in c && c.regex.test(g.toLowerCase())
            }),
          )
        })
        if (!ok) continue
      }
      if (r.snis?.length && a.scheme === 'https') {
        const sni = a.sni
        if (sni === undefined || !r.snis.some((s) => hostOk(s, sni, -1))) continue
      }
      return { id: r.id, matchedPath }
    }
    return null
  }
}

/** mulberry32: better low bits than `rng` for the many small choices of the rebuild tests. */
function mulberry(seed: number) {
  let a = seed >>> 0
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) % n) | 0
  }
}

function rng(seed: number) {
  let s = seed
  return (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s % n
  }
}

const HOSTS = ['a.test', 'b.test', '*.test', 'a.*', 'a.test:8443', '*.b.test', 'x.a.test', 'b.*:80']
const PATHS = [
  '/',
  '/a',
  '/a/b',
  '/ab',
  '/a/b/c',
  '/b',
  '/b/a',
  '~/a/\\d+',
  '~/a/b$',
  '~/(x|a)/b',
  '~/a|/b',
  '~/[ab]/c',
  '~/a/(?<n>\\d)?',
  '~(?i)/A/B',
]
const METHODS = ['GET', 'POST', 'PUT']
const HEADER_SETS: Array<Record<string, string[]>> = [
  { 'x-a': ['1'] },
  { 'x-a': ['1', '2'], x_b: ['~*^v\\d$'] },
  { 'X-B': ['V1'] },
]
const REQ_HOSTS = [
  'a.test',
  'b.test',
  'c.test',
  'x.b.test',
  'a.org',
  'a.test:8443',
  'a.test:80',
  'b.org:80',
  'x.a.test',
  undefined,
]
const REQ_PATHS = [
  '/',
  '/a',
  '/a/',
  '/a/b',
  '/a/b/c',
  '/a/12',
  '/ab',
  '/b',
  '/b/a',
  '/b/c',
  '/x/b',
  '/c/b',
  '/A/b',
  '/a/1',
]

function pick<T>(r: (n: number) => number, a: readonly T[]): T {
  return a[r(a.length)]
}

function randomRoutes(r: (n: number) => number, n: number): RouterRoute[] {
  const routes: RouterRoute[] = []
  for (let i = 0; i < n; i++) {
    const route: {
      id: string
      hosts?: string[]
      paths?: string[]
      methods?: string[]
      headers?: Record<string, string[]>
      snis?: string[]
      regex_priority?: number
    } = { id: `${r(16).toString(16)}${i.toString(16).padStart(7, '0')}-0000-4000-8000-000000000000` }
    if (r(2)) route.hosts = Array.from({ length: 1 + r(2) }, () => pick(r, HOSTS))
    if (r(3)) route.paths = Array.from({ length: 1 + r(3) }, () => pick(r, PATHS))
    if (r(4) === 0) route.methods = [pick(r, METHODS)]
    if (r(5) === 0) route.headers = pick(r, HEADER_SETS)
    if (r(8) === 0) route.snis = [pick(r, ['a.test', '*.test'])]
    if (r(4) === 0) route.regex_priority = r(3) - 1
    if (!route.hosts && !route.paths && !route.methods && !route.headers && !route.snis) route.paths = ['/']
    routes.push(route)
  }
  return routes
}

function randomRequest(r: (n: number) => number): RequestAttributes {
  const headers: Record<string, string> = {}
  if (r(2)) headers['x-a'] = pick(r, ['1', '2', '3'])
  if (r(2)) headers['x-b'] = pick(r, ['v1', 'V2', 'v22'])
  const https = r(3) === 0
  return {
    method: pick(r, METHODS),
    host: pick(r, REQ_HOSTS),
    port: pick(r, [80, 8443]),
    path: pick(r, REQ_PATHS),
    headers,
    scheme: https ? 'https' : 'http',
    sni: https && r(3) ? pick(r, ['a.test', 'z.test', 'q.other']) : undefined,
  }
}

/** Same matchers in the same order, same errors, same answers (route object and matched path). */
function assertSameRouter(got: Router, want: Router, r: (n: number) => number, label: string): void {
  assert.deepEqual(got.describe(), want.describe(), label)
  assert.deepEqual(got.errors, want.errors, label)
  assert.equal(got.routeCount, want.routeCount, label)
  assert.equal(got.matcherCount, want.matcherCount, label)
  for (let n = 0; n < 200; n++) {
    const a = randomRequest(r)
    const x = got.match(a)
    const y = want.match(a)
    assert.equal(x?.route ?? null, y?.route ?? null, `${label} ${JSON.stringify(a)}`)
    assert.deepEqual(x, y, `${label} ${JSON.stringify(a)}`)
  }
}

describe('indexed router agrees with a naive scan in priority order', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`random route set #${seed}`, async () => {
      const r = rng(seed)
      const routes = randomRoutes(r, 5 + r(60))
      const ref = reference(routes)
      const cached = compileRouter(routes)
      const uncached = compileRouter(routes, { cacheSize: 0 })
      // Sliced builds, yielding at every check (sliceMs 0) or as by default: the same router.
      const sliced = await compileRouterAsync(routes, { sliceMs: 0 })
      const slicedDefault = await compileRouterAsync(routes, { cacheSize: 0 })
      assert.deepEqual(cached.errors, [])
      assert.deepEqual(sliced.describe(), cached.describe())
      assert.deepEqual(slicedDefault.describe(), cached.describe())
      for (let n = 0; n < 300; n++) {
        const a = randomRequest(r)
        const want = ref(a)
        for (const router of [cached, uncached, sliced, slicedDefault]) {
          const got = router.match(a)
          const label = JSON.stringify(a)
          assert.equal(got?.route.id ?? null, want?.id ?? null, label)
          if (want && want.matchedPath !== '') assert.equal(got?.matchedPath, want.matchedPath, label)
        }
      }
    })
  }
})

/**
 * The next configuration: some routes kept as they are, some copied unchanged (same id and
 * version), some changed (new fields and version), some removed, some added, order shuffled
 * a little; `version` maps each route object to its version key.
 */
function mutate(
  r: (n: number) => number,
  routes: RouterRoute[],
  version: Map<RouterRoute, number>,
  serial: { next: number },
): RouterRoute[] {
  const out: RouterRoute[] = []
  for (const route of routes) {
    const k = r(10)
    if (k === 0) continue // removed
    if (k === 1) {
      // Changed: fresh fields under the same id, new version.
      const changed = { ...randomRoutes(r, 1)[0], id: route.id }
      version.set(changed, serial.next++)
      out.push(changed)
    } else if (k <= 4) {
      // Unchanged, but a new object (as a snapshot rebuilt from the store makes).
      const copy = { ...route }
      version.set(copy, version.get(route) as number)
      out.push(copy)
    } else {
      out.push(route)
    }
    if (r(8) === 0 && out.length > 1) {
      const i = r(out.length)
      ;[out[i], out[out.length - 1]] = [out[out.length - 1], out[i]]
    }
  }
  for (const added of randomRoutes(r, r(6))) {
    const route = {
      ...added,
      id: `${added.id.slice(0, 24)}${(serial.next++).toString(16).padStart(12, '0')}`,
    }
    version.set(route, serial.next++)
    out.push(route)
  }
  return out
}

describe('rebuilds reusing the previous router (opts.previous)', () => {
  for (let seed = 1; seed <= 30; seed++) {
    it(`build a random configuration, then 4 random changes to it #${seed}`, async () => {
      const r = mulberry(seed)
      const version = new Map<RouterRoute, number>()
      const serial = { next: 1 }
      let routes = randomRoutes(r, 5 + r(60))
      for (const route of routes) version.set(route, serial.next++)
      // An invalid regex and an id differing only by case from another route: never reused
      // from a route with errors; ties keep the order of the routes.
      routes.push({ id: 'bad-regex', paths: ['~/a/(', '/ok'] })
      routes.push({ id: 'tie-route', paths: ['/tie'] }, { id: 'TIE-ROUTE', paths: ['/tie'] })
      let previous = compileRouter(routes)
      const routeVersion = (route: RouterRoute) => version.get(route)
      for (let step = 0; step < 4; step++) {
        routes = mutate(r, routes, version, serial)
        const fresh = compileRouter(routes)
        const reused = compileRouter(routes, { previous, routeVersion })
        const identityOnly = compileRouter(routes, { previous })
        const slicedReuse = await compileRouterAsync(routes, { previous, routeVersion, sliceMs: 0 })
        const label = `seed ${seed} step ${step}`
        assertSameRouter(reused, fresh, r, `${label} (routeVersion)`)
        assertSameRouter(identityOnly, fresh, r, `${label} (identity)`)
        assertSameRouter(slicedReuse, fresh, r, `${label} (sliced)`)
        previous = r(2) ? reused : slicedReuse
      }
    })
  }
})

describe('large configurations', () => {
  it('100k routes: spot checks', () => {
    const routes: RouterRoute[] = []
    for (let i = 0; i < 100_000; i++) {
      const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
      if (i % 10 === 0) routes.push({ id, paths: [`~/r${i}/items/(?<item>\\d+)$`] })
      else if (i % 2 === 0) routes.push({ id, hosts: [`h${i % 1000}.example.com`], paths: [`/svc${i}/v1`] })
      else routes.push({ id, paths: [`/svc${i}`], methods: i % 3 === 0 ? ['GET'] : undefined })
    }
    const router = compileRouter(routes)
    assert.deepEqual(router.errors, [])
    assert.equal(router.routeCount, 100_000)
    const at = (method: string, host: string, path: string) =>
      router.match({ method, host, path, port: 80, headers: {}, scheme: 'http' })
    assert.equal(at('GET', 'h2.example.com', '/svc2002/v1/x')?.route.id, routes[2002].id)
    assert.equal(at('GET', 'h3.example.com', '/svc2002/v1/x'), null)
    // `/svc2005` is a prefix of `/svc20051` (same weight): the longer route wins.
    assert.equal(at('GET', 'any', '/svc20051/x')?.route.id, routes[20051].id)
    assert.equal(at('GET', 'any', '/svc2005/x')?.route.id, routes[2005].id)
    // `/svc2001` is GET-only (weight 2): it beats the longer `/svc20011` (weight 1).
    assert.equal(at('GET', 'any', '/svc20011/x')?.route.id, routes[2001].id)
    assert.equal(at('POST', 'any', '/svc20011/x')?.route.id, routes[20011].id)
    // Route 99999 % 3 === 0: GET only, with the higher weight.
    assert.equal(at('GET', 'any', '/svc99999')?.route.id, routes[99999].id)
    assert.equal(at('POST', 'any', '/svc99999'), null)
    const m = at('GET', 'any', '/r99990/items/42')
    assert.equal(m?.route.id, routes[99990].id)
    assert.deepEqual(m?.captures?.named, { item: '42' })
    assert.equal(at('GET', 'any', '/r99990/items/42/x'), null)
    assert.equal(at('GET', 'any', '/nothing'), null)
  })
})
