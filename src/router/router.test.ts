import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileRouter, compileRouterAsync } from './router.js'
import type { RequestAttributes, RequestHeaders, RouterOptions, RouterRoute } from './types.js'

interface TestRoute extends RouterRoute {
  readonly name: string
}

let counter = 0

/** A route with a fresh UUID that increases in creation order. */
function route(name: string, fields: Omit<Partial<TestRoute>, 'name'> = {}): TestRoute {
  counter++
  return { id: `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`, ...fields, name }
}

interface Extra {
  headers?: RequestHeaders
  scheme?: 'http' | 'https'
  sni?: string
  port?: number
}

function req(method: string, host: string | undefined, path: string, extra: Extra = {}): RequestAttributes {
  return {
    method,
    host,
    path,
    port: extra.port ?? 8000,
    headers: extra.headers ?? {},
    scheme: extra.scheme ?? 'http',
    sni: extra.sni,
  }
}

function winner(routes: TestRoute[], r: RequestAttributes, opts?: RouterOptions): string | null {
  const router = compileRouter(routes, opts)
  assert.deepEqual(router.errors, [])
  return router.match(r)?.route.name ?? null
}

// router.md §5.2, route set A.
const setA = [
  route('A', { paths: ['/'] }),
  route('B', { paths: ['/api'] }),
  route('C', { paths: ['/api/v1'] }),
  route('D', { paths: ['~/api/v\\d+/users$'] }),
  route('E', { hosts: ['api.example.com'], paths: ['/api'] }),
  route('F', { hosts: ['*.example.com'], paths: ['/api/v1'] }),
  route('G', { methods: ['POST'], paths: ['/api'] }),
  route('H', { headers: { 'x-version': ['2'] }, paths: ['/api'] }),
  route('I', { hosts: ['api.example.com'] }),
  route('J', { paths: ['~/api/(?<ver>v\\d+)/orders'], regex_priority: 10 }),
  route('K', { paths: ['~/api/v1/orders/\\d+'] }),
]

// router.md §5.2, route set B.
const setB = [
  route('H1', { hosts: ['api.example.com'] }),
  route('H2', { hosts: ['*.example.com'] }),
  route('H3', { hosts: ['api.*'] }),
  route('M', { hosts: ['m.test'], paths: ['/a', '/a/b/c'] }),
  route('N', { hosts: ['m.test'], paths: ['/a/b'] }),
  route('X', { hosts: ['x.test'], paths: ['~/items/\\d+$'] }),
  route('Y', { hosts: ['x.test'], paths: ['/items/123'] }),
  route('HA', { paths: ['/h'], headers: { 'x-a': ['1'] } }),
  route('HB', { paths: ['/h'], headers: { 'x-a': ['1'], 'x-b': ['~*^v\\d$'] } }),
]

const examples: Array<[number, TestRoute[], RequestAttributes, string | null]> = [
  [1, setA, req('GET', 'other.test', '/'), 'A'],
  [2, setA, req('GET', 'other.test', '/api'), 'B'],
  [3, setA, req('GET', 'other.test', '/apix'), 'B'],
  [4, setA, req('GET', 'other.test', '/api/v1/items'), 'C'],
  [5, setA, req('GET', 'other.test', '/api/v2/users'), 'D'],
  [6, setA, req('GET', 'other.test', '/api/v1/users'), 'D'],
  [7, setA, req('GET', 'api.example.com', '/api/v1/items'), 'E'],
  [8, setA, req('GET', 'api.example.com', '/'), 'I'],
  [9, setA, req('GET', 'www.example.com', '/api/v1/x'), 'F'],
  [10, setA, req('GET', 'www.example.com', '/api/v2'), 'B'],
  [11, setA, req('POST', 'other.test', '/api/v1'), 'G'],
  [12, setA, req('POST', 'api.example.com', '/api/v1'), 'E'],
  [13, setA, req('GET', 'other.test', '/api/v1/orders/42'), 'J'],
  [14, setA, req('GET', 'other.test', '/api/v1', { headers: { 'x-version': '2' } }), 'H'],
  [15, setA, req('POST', 'other.test', '/api/v1', { headers: { 'x-version': '2' } }), 'H'],
  [16, setB, req('GET', 'api.example.com', '/'), 'H1'],
  [17, setB, req('GET', 'www.example.com', '/'), 'H2'],
  [18, setB, req('GET', 'api.example.org', '/'), 'H3'],
  [19, setB, req('GET', 'm.test', '/a/b/c/d'), 'M'],
  [20, setB, req('GET', 'm.test', '/a/b/x'), 'N'],
  [21, setB, req('GET', 'm.test', '/a/x'), 'M'],
  [22, setB, req('GET', 'x.test', '/items/123'), 'X'],
  [23, setB, req('GET', 'x.test', '/items/1234/x'), 'Y'],
  [24, setB, req('GET', 'other.test', '/h', { headers: { 'x-a': '1', 'x-b': 'V2' } }), 'HB'],
  [25, setB, req('GET', 'other.test', '/h', { headers: { 'x-a': '1', 'x-b': 'v22' } }), 'HA'],
  [26, setB, req('GET', 'other.test', '/h', { headers: { 'x-a': '2' } }), null],
]

describe('router.md §5.2 worked examples', () => {
  for (const [n, routes, r, expected] of examples) {
    it(`#${n}: ${r.method} ${r.host} ${r.path} → ${expected ?? '404'}`, () => {
      assert.equal(winner(routes, r), expected)
      // Same answer with the cache off, and from the cache on a second call.
      assert.equal(winner(routes, r, { cacheSize: 0 }), expected)
      const router = compileRouter(routes)
      router.match(r)
      assert.equal(router.match(r)?.route.name ?? null, expected)
    })
  }

  it('the sliced build (compileRouterAsync) gives the same router and answers', async () => {
    for (const set of [setA, setB]) {
      const sync = compileRouter(set)
      for (const sliceMs of [0, undefined]) {
        const sliced = await compileRouterAsync(set, { sliceMs })
        assert.deepEqual(sliced.describe(), sync.describe())
        assert.deepEqual(sliced.errors, sync.errors)
        assert.equal(sliced.routeCount, sync.routeCount)
      }
    }
    for (const [n, routes, r, expected] of examples) {
      const sliced = await compileRouterAsync(routes, { sliceMs: 0 })
      assert.equal(sliced.match(r)?.route.name ?? null, expected, `example ${n}`)
      const uncached = await compileRouterAsync(routes, { cacheSize: 0 })
      assert.equal(uncached.match(r)?.route.name ?? null, expected, `example ${n}`)
    }
  })

  it('example 19 reports the matched group', () => {
    const m = compileRouter(setB).match(req('GET', 'm.test', '/a/b/c/d'))
    assert.equal(m?.matchedPath, '/a/b/c')
    assert.equal(m?.prefixMatched, true)
    const m2 = compileRouter(setB).match(req('GET', 'm.test', '/a/x'))
    assert.equal(m2?.matchedPath, '/a')
  })
})

describe('§3.2 prefix paths', () => {
  const routes = [route('items', { paths: ['/items/123'] }), route('api', { paths: ['/api'] })]

  it('match byte-wise with no segment boundary', () => {
    assert.equal(winner(routes, req('GET', 'h', '/items/1234/x')), 'items')
    assert.equal(winner(routes, req('GET', 'h', '/apix')), 'api')
    assert.equal(winner(routes, req('GET', 'h', '/ap')), null)
  })

  it('are case-sensitive', () => {
    assert.equal(winner(routes, req('GET', 'h', '/API')), null)
    assert.equal(winner(routes, req('GET', 'h', '/Items/123')), null)
  })

  it('`/` is a catch-all', () => {
    const r = [route('root', { paths: ['/'] })]
    for (const p of ['/', '/x', '/a/b/c', '/%2F']) assert.equal(winner(r, req('GET', 'h', p)), 'root')
  })

  it('compare UTF-8 paths', () => {
    const r = [route('u', { paths: ['/ø/'] })]
    assert.equal(winner(r, req('GET', 'h', '/ø/x')), 'u')
    assert.equal(winner(r, req('GET', 'h', '/o/x')), null)
  })

  it('longest prefix wins among equal weights, however many routes share the tree', () => {
    const r = [
      route('p1', { paths: ['/a'] }),
      route('p2', { paths: ['/a/b'] }),
      route('p3', { paths: ['/a/b/c'] }),
      route('p4', { paths: ['/a/bc'] }),
      route('p5', { paths: ['/b'] }),
    ]
    assert.equal(winner(r, req('GET', 'h', '/a/b/c/d')), 'p3')
    assert.equal(winner(r, req('GET', 'h', '/a/bcd')), 'p4')
    assert.equal(winner(r, req('GET', 'h', '/a/b')), 'p2')
    assert.equal(winner(r, req('GET', 'h', '/a/')), 'p1')
    assert.equal(winner(r, req('GET', 'h', '/c')), null)
  })
})

describe('§3.3 regex paths', () => {
  it('are anchored at the start, not at the end', () => {
    const r = [route('r', { paths: ['~/users/\\d+'] })]
    assert.equal(winner(r, req('GET', 'h', '/users/12/x')), 'r')
    assert.equal(winner(r, req('GET', 'h', '/v1/users/12')), null)
  })

  it('`$` anchors at the end', () => {
    const r = [route('r', { paths: ['~/users/\\d+$'] })]
    assert.equal(winner(r, req('GET', 'h', '/users/12')), 'r')
    assert.equal(winner(r, req('GET', 'h', '/users/12/')), null)
  })

  it('only the first branch of a top-level alternation is anchored (Kong prepends `^`)', () => {
    const r = [route('r', { paths: ['~/a|/b'] })]
    assert.equal(winner(r, req('GET', 'h', '/a/x')), 'r')
    const m = compileRouter(r).match(req('GET', 'h', '/x/b'))
    assert.equal(m?.route.name, 'r')
    assert.equal(m?.matchedPath, '/b')
  })

  it('reports group 0 as matchedPath and no captures without groups', () => {
    const m = compileRouter([route('r', { paths: ['~/users/\\d+'] })]).match(req('GET', 'h', '/users/12/x'))
    assert.equal(m?.matchedPath, '/users/12')
    assert.equal(m?.prefixMatched, false)
    assert.equal(m?.captures, undefined)
  })

  it('captures named (both syntaxes) and unnamed groups', () => {
    const r = [route('r', { paths: ['~/users/(?P<user_id>\\d+)/profile/?(?P<scope>[a-z]*)'] })]
    const m = compileRouter(r).match(req('GET', 'h', '/users/1984/profile'))
    assert.deepEqual(m?.captures, {
      unnamed: ['/users/1984/profile', '1984', ''],
      named: { user_id: '1984', scope: '' },
    })
    const m2 = compileRouter(r).match(req('GET', 'h', '/users/1984/profile/email'))
    assert.deepEqual(m2?.captures?.named, { user_id: '1984', scope: 'email' })
    const m3 = compileRouter([route('r', { paths: ['~/(?<a>x)(y)'] })]).match(req('GET', 'h', '/xy'))
    assert.deepEqual(m3?.captures, { unnamed: ['/xy', 'x', 'y'], named: { a: 'x' } })
  })

  it('leaves non-participating groups out (Kong #13014)', () => {
    const r = [route('r', { paths: ['~/(users/)?1984/(?<subpath>profile)$'] })]
    const m = compileRouter(r).match(req('GET', 'h', '/1984/profile'))
    assert.equal(m?.captures?.unnamed[1], undefined)
    assert.equal(m?.captures?.unnamed[2], 'profile')
    assert.deepEqual(m?.captures?.named, { subpath: 'profile' })
  })

  it('reports no captures when only optional groups exist and none participated', () => {
    const m = compileRouter([route('r', { paths: ['~/a(/b)?'] })]).match(req('GET', 'h', '/a'))
    assert.equal(m?.matchedPath, '/a')
    assert.equal(m?.captures, undefined)
  })

  it('the first regex of the group that matches gives the captures', () => {
    const r = [route('r', { paths: ['~/x/(?<first>\\d+)', '~/(?<second>x)/\\d+'] })]
    const m = compileRouter(r).match(req('GET', 'h', '/x/1'))
    assert.deepEqual(m?.captures?.named, { first: '1' })
  })

  it('match the normalized text (reserved characters stay encoded)', () => {
    const r = [route('r', { paths: ['~/regex-reserved%2Fabc'] }), route('s', { paths: ['~/reg%65x/\\d+'] })]
    assert.equal(winner(r, req('GET', 'h', '/regex-reserved%2Fabc')), 'r')
    assert.equal(winner(r, req('GET', 'h', '/regex-reserved/abc')), null)
    // A regex is not normalized: `%65` only matches a literal `%65`.
    assert.equal(winner(r, req('GET', 'h', '/regex/123')), null)
  })

  it('regex_priority orders regex groups, higher first', () => {
    const r = [
      route('low', { paths: ['~/a/\\w+'], regex_priority: 1 }),
      route('high', { paths: ['~/a/\\d+'], regex_priority: 5 }),
      route('neg', { paths: ['~/a/1'], regex_priority: -3 }),
      route('zero', { paths: ['~/a/12'] }),
    ]
    assert.equal(winner(r, req('GET', 'h', '/a/123')), 'high')
    assert.equal(winner(r, req('GET', 'h', '/a/xyz')), 'low')
    // Negative regex_priority ranks below the default 0.
    const r2 = [route('neg', { paths: ['~/b/1'], regex_priority: -3 }), route('zero', { paths: ['~/b/12'] })]
    assert.equal(winner(r2, req('GET', 'h', '/b/123')), 'zero')
  })

  it('prefix routes ignore regex_priority', () => {
    const r = [
      route('regex', { hosts: ['domain-1.org'], paths: ['/.*'] }),
      route('root', { hosts: ['domain-2.org'], paths: ['/'], regex_priority: 5 }),
      route('v1', { hosts: ['domain-2.org'], paths: ['/v1'] }),
    ]
    assert.equal(winner(r, req('GET', 'domain-2.org', '/v1')), 'v1')
    // `/.*` has no `~`: it is a prefix path.
    assert.equal(winner(r, req('GET', 'domain-1.org', '/.*x')), 'regex')
    assert.equal(winner(r, req('GET', 'domain-1.org', '/abc')), null)
  })

  it('regexes sharing no literal prefix with the path are still found', () => {
    const r = [
      route('ci', { paths: ['~(?i)/CASE'] }),
      route('cls', { paths: ['~/[ab]x'] }),
      route('esc', { paths: ['~/a\\.b'] }),
      route('q', { paths: ['~/ab?c'] }),
    ]
    assert.equal(winner(r, req('GET', 'h', '/case')), 'ci')
    assert.equal(winner(r, req('GET', 'h', '/bx')), 'cls')
    assert.equal(winner(r, req('GET', 'h', '/a.b')), 'esc')
    assert.equal(winner(r, req('GET', 'h', '/ac')), 'q')
  })
})

describe('§3.4 hosts', () => {
  const routes = [
    route('plain', { hosts: ['domain-1.org', 'domain-2.org'] }),
    route('port', { hosts: ['domain-1.org:321', 'domain-2.org'] }),
    route('portOnly', { hosts: ['domain-3.org:321'] }),
    route('suffix', { hosts: ['*.route.com'] }),
    route('prefix', { hosts: ['route.*'] }),
  ]

  it('matches exactly, ignoring the request port unless the route host has one', () => {
    assert.equal(winner(routes, req('GET', 'domain-1.org', '/')), 'plain')
    assert.equal(winner(routes, req('GET', 'domain-1.org:80', '/')), 'plain')
    assert.equal(winner(routes, req('GET', 'domain-1.org:123', '/')), 'plain')
    assert.equal(winner(routes, req('GET', 'DOMAIN-1.org', '/')), null)
    assert.equal(winner(routes, req('GET', 'sub.domain-1.org', '/')), null)
  })

  it('matches a route host port against the Host port, else the listener port', () => {
    // `plain` and `port` tie on priority (both plain hosts): the greater id (`port`) wins.
    assert.equal(winner(routes, req('GET', 'domain-1.org:321', '/')), 'port')
    assert.equal(winner(routes, req('GET', 'domain-3.org:321', '/')), 'portOnly')
    assert.equal(winner(routes, req('GET', 'domain-3.org:123', '/')), null)
    assert.equal(winner(routes, req('GET', 'domain-3.org', '/', { port: 321 })), 'portOnly')
    assert.equal(winner(routes, req('GET', 'domain-3.org', '/', { port: 8000 })), null)
    // An explicit Host port wins over the listener port.
    assert.equal(winner(routes, req('GET', 'domain-3.org:8000', '/', { port: 321 })), null)
  })

  it('wildcards match any number of extra labels, and any port', () => {
    assert.equal(winner(routes, req('GET', 'foo.route.com', '/')), 'suffix')
    assert.equal(winner(routes, req('GET', 'a.b.route.com:123', '/')), 'suffix')
    assert.equal(winner(routes, req('GET', 'route.org', '/')), 'prefix')
    assert.equal(winner(routes, req('GET', 'route.co.uk:8443', '/')), 'prefix')
    assert.equal(winner(routes, req('GET', 'xroute.com', '/')), null)
  })

  it('plain hosts beat wildcard hosts', () => {
    const r = [
      route('plain', { hosts: ['plain.route.com'] }),
      route('suffix', { hosts: ['*.route.com'] }),
      route('prefix', { hosts: ['route.*'] }),
      route('bare', { hosts: ['route.com'] }),
    ]
    assert.equal(winner(r, req('GET', 'route.com', '/')), 'bare')
    assert.equal(winner(r, req('GET', 'route.org', '/')), 'prefix')
    assert.equal(winner(r, req('GET', 'plain.route.com', '/')), 'plain')
    assert.equal(winner(r, req('GET', 'foo.route.com', '/')), 'suffix')
  })

  it('port-specific wildcard hosts', () => {
    const r = [
      route('s', { hosts: ['*.route.com'] }),
      route('p', { hosts: ['route.*'] }),
      route('sp', { hosts: ['*.route.net:123'] }),
      route('pp', { hosts: ['route.*:123'] }),
    ]
    assert.equal(winner(r, req('GET', 'foo.route.net:123', '/')), 'sp')
    assert.equal(winner(r, req('GET', 'foo.route.net:456', '/')), null)
    // Same priority as `p`: the greater id wins (Kong's spec relies on the same tie-break).
    assert.equal(winner(r, req('GET', 'route.org:123', '/')), 'pp')
  })

  it('a request without Host only reaches routes without hosts', () => {
    const r = [route('h', { hosts: ['a.test'] }), route('p', { paths: ['/x'] })]
    assert.equal(winner(r, req('GET', undefined, '/x')), 'p')
    assert.equal(winner(r, req('GET', undefined, '/')), null)
    assert.equal(winner(r, req('GET', '', '/x')), 'p')
  })

  it('a host that is not host[:digits] is compared whole (bracketed IPv6)', () => {
    const r = [route('v6', { hosts: ['[::1]'] }), route('weird', { hosts: ['a.test:x'] })]
    assert.equal(winner(r, req('GET', '[::1]', '/')), 'v6')
    assert.equal(winner(r, req('GET', '[::1]:80', '/')), null)
    assert.equal(winner(r, req('GET', 'a.test:x', '/')), 'weird')
  })

  it('many wildcard hosts use the per-label lookup', () => {
    const r: TestRoute[] = []
    for (let i = 0; i < 20; i++) {
      r.push(route(`s${i}`, { hosts: [`*.d${i}.test`] }))
      r.push(route(`p${i}`, { hosts: [`d${i}.*`] }))
    }
    r.push(route('odd', { hosts: ['*odd.test'] }))
    r.push(route('oddp', { hosts: ['oddp*'] }))
    assert.equal(winner(r, req('GET', 'x.y.d7.test', '/')), 's7')
    assert.equal(winner(r, req('GET', 'd13.example', '/')), 'p13')
    assert.equal(winner(r, req('GET', 'x.d7.test.org', '/')), null)
    assert.equal(winner(r, req('GET', 'evenodd.test', '/')), 'odd')
    assert.equal(winner(r, req('GET', 'oddpx', '/')), 'oddp')
  })
})

describe('§3.5 methods', () => {
  const r = [route('post', { methods: ['POST', 'PUT'] }), route('get', { methods: ['GET'], paths: ['/x'] })]

  it('are compared exactly, case-sensitively', () => {
    assert.equal(winner(r, req('POST', 'h', '/')), 'post')
    assert.equal(winner(r, req('PUT', 'h', '/')), 'post')
    assert.equal(winner(r, req('post', 'h', '/')), null)
    assert.equal(winner(r, req('GET', 'h', '/x')), 'get')
    assert.equal(winner(r, req('GET', 'h', '/')), null)
  })
})

describe('§3.6 headers', () => {
  it('plain values compare case-insensitively, names too', () => {
    const r = [route('r', { headers: { Location: ['My-Location-1', 'my-location-2'] } })]
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { location: 'my-location-1' } })), 'r')
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { location: 'MY-LOCATION-2' } })), 'r')
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { location: 'my-location-3' } })), null)
    assert.equal(winner(r, req('GET', 'h', '/')), null)
  })

  it('any occurrence of a repeated header may match', () => {
    const r = [route('r', { headers: { location: ['my-location-2'] } })]
    assert.equal(
      winner(r, req('GET', 'h', '/', { headers: { location: ['my-location-3', 'my-location-2'] } })),
      'r',
    )
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { location: ['my-location-3', 'foo'] } })), null)
  })

  it('all header names must match; more names win', () => {
    const r = [
      route('one', { headers: { location: ['my-location-1', 'my-location-2'] } }),
      route('two', { headers: { location: ['my-location-1'], version: ['v1', 'v2'] } }),
    ]
    const h = (location: string | string[], version?: string) =>
      req('GET', 'h', '/', { headers: version ? { location, version } : { location } })
    assert.equal(winner(r, h('my-location-1', 'v1')), 'two')
    assert.equal(winner(r, h(['my-location-3', 'my-location-1'], 'v2')), 'two')
    assert.equal(winner(r, h(['my-location-3', 'my-location-2'], 'v2')), 'one')
    assert.equal(winner(r, h('my-location-1', 'v3')), 'one')
  })

  it('`~*` values are regexes searched unanchored in the lower-cased value', () => {
    const r = [
      route('ua', { headers: { user_agent: ['~*windows|linux|os\\s+x\\s*[\\d\\._]+|solaris|bsd'] } }),
    ]
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.116'
    // Route header names with `_` are the same header as with `-` (Kong's field naming).
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { 'user-agent': ua } })), 'ua')
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { 'user-agent': 'curl/8' } })), null)
  })

  it('the regex text is lower-cased too (Kong quirk: `\\D` becomes `\\d`)', () => {
    const r = [route('r', { headers: { 'x-v': ['~*^V\\D$'] } })]
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { 'x-v': 'V7' } })), 'r')
    assert.equal(winner(r, req('GET', 'h', '/', { headers: { 'x-v': 'vx' } })), null)
  })

  it('ignores inherited properties of a plain headers object', () => {
    const r = [route('r', { headers: { constructor: ['x'] } })]
    assert.equal(winner(r, req('GET', 'h', '/')), null)
  })

  it('the header check is not cached: same path, different headers', () => {
    const router = compileRouter([
      route('hdr', { paths: ['/foo'], headers: { test1: ['Quote'] } }),
      route('plain', { paths: ['/'] }),
    ])
    const r = (v: string) => router.match(req('GET', 'h', '/foo', { headers: { test1: v } }))?.route.name
    assert.equal(r('QUOTE'), 'hdr')
    assert.equal(r('nope'), 'plain')
    assert.equal(r('QuoTe'), 'hdr')
  })
})

describe('§3.7 SNIs', () => {
  const r = [
    route('exact', { snis: ['www.example.org.'], protocols: ['https'] }),
    route('suffix', { snis: ['*.example.com'], protocols: ['https'] }),
    route('prefix', { snis: ['example.*'], protocols: ['https'] }),
  ]
  const tls = (sni?: string) => req('GET', 'h', '/', { scheme: 'https', sni })

  it('match the connection SNI on https (trailing dot of route SNIs removed)', () => {
    assert.equal(winner(r, tls('www.example.org')), 'exact')
    assert.equal(winner(r, tls('a.example.com')), 'suffix')
    assert.equal(winner(r, tls('example.net')), 'prefix')
    assert.equal(winner(r, tls('other.test')), null)
  })

  it('a TLS request without SNI cannot match a route with snis', () => {
    assert.equal(winner(r, tls(undefined)), null)
  })

  it('are satisfied on plain http (the greatest id wins the tie)', () => {
    assert.equal(winner(r, req('GET', 'h', '/')), 'prefix')
  })

  it('plain http and https results are not mixed up by the cache', () => {
    const router = compileRouter([
      route('sni', { snis: ['a.test'], paths: ['/'] }),
      route('root', { paths: ['/'] }),
    ])
    assert.equal(router.match(req('GET', 'h', '/'))?.route.name, 'sni')
    assert.equal(router.match(req('GET', 'h', '/', { scheme: 'https', sni: 'b.test' }))?.route.name, 'root')
    assert.equal(router.match(req('GET', 'h', '/'))?.route.name, 'sni')
  })
})

describe('§3.8 protocols and §1.2 loading', () => {
  it('protocols are not a matching criterion', () => {
    const r = [route('httpsOnly', { protocols: ['https'], paths: ['/'] })]
    assert.equal(winner(r, req('GET', 'h', '/')), 'httpsOnly')
  })

  it('only routes with an HTTP-subsystem protocol are loaded', () => {
    const router = compileRouter([
      route('tcp', { protocols: ['tcp'], paths: ['/'] }),
      route('grpc', { protocols: ['grpc', 'grpcs'], paths: ['/g'] }),
      route('dflt', { paths: ['/d'] }),
    ])
    assert.equal(router.routeCount, 2)
    assert.equal(router.match(req('GET', 'h', '/x')), null)
    assert.equal(router.match(req('POST', 'h', '/g'))?.route.name, 'grpc')
  })

  it('routes without a service are loaded', () => {
    assert.equal(winner([route('nosvc', { paths: ['/s'], service: null })], req('GET', 'h', '/s')), 'nosvc')
  })

  it('routes that cannot be loaded are reported and skipped', () => {
    const router = compileRouter([
      route('empty', {}),
      route('emptyArrays', { hosts: [], paths: [], methods: [] }),
      route('badRegex', { paths: ['~/a(', '/ok'] }),
      route('badHeader', { headers: { x: ['~*('] } }),
      route('noValues', { headers: { x: [] } }),
      route('good', { paths: ['/'] }),
    ])
    assert.deepEqual(
      router.errors.map((e) => e.routeId),
      router.errors.map((e) => e.routeId).filter(Boolean),
    )
    assert.equal(router.errors.length, 5)
    // The bad regex group is dropped alone; the prefix group of that route still works.
    assert.equal(router.match(req('GET', 'h', '/ok'))?.route.name, 'badRegex')
    assert.equal(router.match(req('GET', 'h', '/x'))?.route.name, 'good')
  })

  it('the sliced build reports the same errors', async () => {
    const routes = [
      route('empty', {}),
      route('badRegex', { paths: ['~/a(', '/ok'] }),
      route('badHeader', { headers: { x: ['~*('] } }),
      route('good', { paths: ['/'] }),
      route('tcp', { protocols: ['tcp'], paths: ['/'] }),
    ]
    routes.push({ ...routes[3], name: 'dup' })
    const sync = compileRouter(routes)
    const sliced = await compileRouterAsync(routes, { sliceMs: 0 })
    assert.equal(sync.errors.length, 4)
    assert.deepEqual(sliced.errors, sync.errors)
    assert.deepEqual(sliced.describe(), sync.describe())
    assert.equal(sliced.routeCount, sync.routeCount)
  })

  it('duplicate ids are reported, the first route is kept', () => {
    const a = route('a', { paths: ['/a'] })
    const router = compileRouter([a, { ...a, name: 'copy', paths: ['/b'] }])
    assert.equal(router.errors.length, 1)
    assert.equal(router.match(req('GET', 'h', '/b')), null)
  })

  it('sources and destinations constrain HTTP routes when present', () => {
    const r = [
      route('src', { sources: [{ ip: '10.0.0.0/8' }], destinations: [{ port: 8443 }] }),
      route('root', { paths: ['/'] }),
    ]
    const router = compileRouter(r)
    const at = (srcIp: string, host: string) => router.match({ ...req('GET', host, '/'), srcIp })?.route.name
    assert.equal(at('10.1.2.3', 'h:8443'), 'src')
    assert.equal(at('11.1.2.3', 'h:8443'), 'root')
    assert.equal(at('10.1.2.3', 'h'), 'root')
  })
})

describe('§4 route splitting', () => {
  it('splits paths into a regex group and one group per prefix length', () => {
    const router = compileRouter([route('r', { paths: ['/foo', '/foo/bar/baz', '~/x/\\d+', '/bar'] })])
    const info = router.describe()
    assert.equal(router.matcherCount, 3)
    assert.deepEqual(
      info.map((m) => m.paths),
      [['~/x/\\d+'], ['/foo/bar/baz'], ['/foo', '/bar']],
    )
    assert.ok(info.every((m) => m.routeId === router.describe()[0].routeId))
  })

  it('each group has its own priority (Kong spec: overlapping prefixes)', () => {
    const r = [
      route('multi', { hosts: ['domain-1.org'], paths: ['/foo', '/foo/bar/baz'] }),
      route('mid', { hosts: ['domain-1.org'], paths: ['/foo/bar'] }),
    ]
    assert.equal(winner(r, req('GET', 'domain-1.org', '/foo')), 'multi')
    assert.equal(winner(r, req('GET', 'domain-1.org', '/foo/bar')), 'mid')
    assert.equal(winner(r, req('GET', 'domain-1.org', '/foo/bar/baz/x')), 'multi')
  })

  it('regex and prefix groups (Kong spec: both regex and prefix)', () => {
    const r = [
      route('both', { hosts: ['domain-1.org'], paths: ['~/some/thing/else', '/foo'] }),
      route('prefix', { hosts: ['domain-1.org'], paths: ['/foo/bar'] }),
    ]
    assert.equal(winner(r, req('GET', 'domain-1.org', '/some/thing/else')), 'both')
    assert.equal(winner(r, req('GET', 'domain-1.org', '/foo/bar')), 'prefix')
  })

  it('split groups get Kong-compatible derived ids (uuid v5 of "<id>#<n>")', () => {
    const id = 'e8fb37f1-102d-461e-9c51-6608a6bb8101'
    const router = compileRouter([{ id, paths: ['/foo', '/foo/bar/baz'] }])
    const ids = router.describe().map((m) => m.id)
    assert.equal(ids.length, 2)
    for (const x of ids)
      assert.match(x, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    // One group only: the route keeps its id.
    assert.equal(compileRouter([{ id, paths: ['/a', '/b'] }]).describe()[0].id, id)
  })
})

describe('§5.1 ordering rules', () => {
  it('1. more field categories win over a longer path', () => {
    const r = [
      route('long', { paths: ['/aaaaaaaaaaaaaaaaaaaa'] }),
      route('short', { paths: ['/a'], methods: ['GET'] }),
    ]
    assert.equal(winner(r, req('GET', 'h', '/aaaaaaaaaaaaaaaaaaaa')), 'short')
  })

  it('3. more header names have priority over longer paths', () => {
    const r = [
      route('path', { paths: ['/my-route/hello'], headers: { version: ['v1'] } }),
      route('headers', { paths: ['/my'], headers: { version: ['v1'], location: ['l'] } }),
    ]
    assert.equal(
      winner(r, req('GET', 'h', '/my-route/hello', { headers: { version: 'v1', location: 'l' } })),
      'headers',
    )
  })

  it('4. a regex group beats a longer prefix of the same weight', () => {
    const r = [
      route('prefix', { paths: ['/users/123/profile'] }),
      route('regex', { paths: ['~/users/\\d+'] }),
    ]
    assert.equal(winner(r, req('GET', 'h', '/users/123/profile')), 'regex')
  })

  it('7. full ties go to the greater id, not to the older route', () => {
    const r = [
      { id: 'bbbbbbbb-0000-4000-8000-000000000000', name: 'b', paths: ['/x'] },
      { id: 'aaaaaaaa-0000-4000-8000-000000000000', name: 'a', paths: ['/y'] },
      { id: 'AAAAAAAA-0000-4000-8000-000000000001', name: 'A', paths: ['/x'] },
    ]
    assert.equal(winner(r, req('GET', 'h', '/x')), 'b')
    // Ids compare case-insensitively (UUID byte order).
    assert.equal(compileRouter(r).describe()[0].routeId, 'bbbbbbbb-0000-4000-8000-000000000000')
  })

  it('a port-specific host does not outrank the same host without port', () => {
    const r = [
      { id: '00000000-0000-4000-8000-0000000000b0', name: 'noport', hosts: ['a.test'] },
      { id: '00000000-0000-4000-8000-0000000000a0', name: 'port', hosts: ['a.test:8443'] },
    ]
    assert.equal(winner(r, req('GET', 'a.test:8443', '/')), 'noport')
  })
})

describe('§5.1 priority values', () => {
  it('matchers of route set A carry the documented 64-bit priorities', () => {
    const byName = new Map(
      compileRouter(setA)
        .describe()
        .map((m) => [setA.find((r) => r.id === m.routeId)?.name, m.priority]),
    )
    assert.equal(byName.get('A'), (1n << 61n) | 1n)
    assert.equal(byName.get('C'), (1n << 61n) | 7n)
    assert.equal(byName.get('D'), (1n << 61n) | (1n << 51n))
    assert.equal(byName.get('E'), (2n << 61n) | (1n << 60n) | 4n)
    assert.equal(byName.get('F'), (2n << 61n) | 7n)
    assert.equal(byName.get('G'), (2n << 61n) | 4n)
    assert.equal(byName.get('H'), (2n << 61n) | (1n << 52n) | 4n)
    assert.equal(byName.get('I'), (1n << 61n) | (1n << 60n))
    assert.equal(byName.get('J'), (1n << 61n) | (1n << 51n) | (10n << 19n))
  })

  it('describe() lists matchers in evaluation order', () => {
    const info = compileRouter(setA).describe()
    assert.deepEqual(
      info.map((m) => m.rank),
      info.map((_, i) => i),
    )
    for (let i = 1; i < info.length; i++) assert.ok(info[i - 1].priority >= info[i].priority)
  })

  it('an explicitly empty hosts array sets the plain-host flag (Kong quirk)', () => {
    const r = [route('emptyHosts', { paths: ['/a'], hosts: [] }), route('longer', { paths: ['/a/b'] })]
    assert.equal(winner(r, req('GET', 'h', '/a/b')), 'emptyHosts')
    assert.equal(compileRouter(r).describe()[0].priority, (1n << 61n) | (1n << 60n) | 2n)
  })

  it('empty arrays and maps are "not set" for matching and weight', () => {
    const r = [
      route('e', { paths: ['/a'], methods: [], headers: {}, snis: [] }),
      route('m', { paths: ['/'], methods: ['GET'] }),
    ]
    assert.equal(winner(r, req('POST', 'h', '/a')), 'e')
    // `m` has weight 2 (methods + paths), `e` only 1.
    assert.equal(winner(r, req('GET', 'h', '/a')), 'm')
  })
})

describe('invalid UTF-8 in the path', () => {
  it('matches no route, like Kong', () => {
    const r = [route('root', { paths: ['/'] })]
    assert.equal(winner(r, req('GET', 'h', '/%FC%80')), null)
    assert.equal(winner(r, req('GET', 'h', '/%2F%25FC')), 'root')
  })
})

describe('match cache', () => {
  it('returns the same frozen result for repeated requests', () => {
    const router = compileRouter([route('r', { paths: ['~/u/(\\d+)'] })])
    const a = router.match(req('GET', 'h', '/u/1'))
    const b = router.match(req('GET', 'h', '/u/1'))
    assert.equal(a, b)
    assert.ok(Object.isFrozen(b))
    assert.notEqual(router.match(req('GET', 'h', '/u/2')), a)
  })

  it('caches misses and keys on the host as sent and the method', () => {
    const router = compileRouter([route('h', { hosts: ['a.test'], methods: ['GET'] })], { cacheSize: 2 })
    assert.equal(router.match(req('GET', 'b.test', '/')), null)
    assert.equal(router.match(req('GET', 'a.test', '/'))?.route.name, 'h')
    assert.equal(router.match(req('POST', 'a.test', '/')), null)
    assert.equal(router.match(req('GET', 'a.test', '/'))?.route.name, 'h')
    assert.equal(router.match(req('GET', 'b.test', '/')), null)
  })

  it('includes the listener port when a route host has a port', () => {
    const router = compileRouter([route('p', { hosts: ['a.test:8443'] })])
    assert.equal(router.match(req('GET', 'a.test', '/', { port: 8443 }))?.route.name, 'p')
    assert.equal(router.match(req('GET', 'a.test', '/', { port: 8000 })), null)
  })
})
