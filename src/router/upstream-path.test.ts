import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizeRequestPath } from './normalize.js'
import { compileRouter } from './router.js'
import type { PathHandling } from './types.js'
import { escapeUpstreamPath, sanitizePostfix, upstreamPath } from './upstream-path.js'

type Strip = boolean | boolean[]
type Handling = PathHandling | PathHandling[]
type Row = [
  service: string,
  route: string | null,
  strip: Strip,
  handling: Handling,
  request: string,
  expected: string,
]

// Kong's spec/fixtures/router_path_handling_tests.lua, row for row (route null = host-only route).
const rows: Row[] = [
  ['/', '/', [false, true], ['v0', 'v1'], '/', '/'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route', '/route'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/', [false, true], ['v0', 'v1'], '/routereq', '/routereq'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route/req', '/route/req'],
  ['/', '/route', false, ['v0', 'v1'], '/route', '/route'],
  ['/', '/route', false, ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/route', false, ['v0', 'v1'], '/routereq', '/routereq'],
  ['/', '/route', true, ['v0', 'v1'], '/route', '/'],
  ['/', '/route', true, ['v0', 'v1'], '/route/', '/'],
  ['/', '/route', true, ['v0', 'v1'], '/routereq', '/req'],
  ['/', '/route/', false, ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/route/', false, ['v0', 'v1'], '/route/req', '/route/req'],
  ['/', '/route/', true, ['v0', 'v1'], '/route/', '/'],
  ['/', '/route/', true, ['v0', 'v1'], '/route/req', '/req'],
  ['/srv', '/rou', false, 'v0', '/roureq', '/srv/roureq'],
  ['/srv', '/rou', false, 'v1', '/roureq', '/srvroureq'],
  ['/srv', '/rou', true, 'v0', '/roureq', '/srv/req'],
  ['/srv', '/rou', true, 'v1', '/roureq', '/srvreq'],
  ['/srv/', '/rou', false, ['v0', 'v1'], '/rou', '/srv/rou'],
  ['/srv/', '/rou', true, 'v0', '/rou', '/srv'],
  ['/srv/', '/rou', true, 'v1', '/rou', '/srv/'],
  ['/service', '/', [false, true], ['v0', 'v1'], '/', '/service'],
  ['/service', '/', [false, true], 'v0', '/route', '/service/route'],
  ['/service', '/', [false, true], 'v1', '/route', '/serviceroute'],
  ['/service', '/', [false, true], 'v0', '/route/', '/service/route/'],
  ['/service', '/', [false, true], 'v1', '/route/', '/serviceroute/'],
  ['/service', '/', [false, true], 'v0', '/routereq', '/service/routereq'],
  ['/service', '/', [false, true], 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/', [false, true], 'v0', '/route/req', '/service/route/req'],
  ['/service', '/', [false, true], 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route', false, 'v0', '/route', '/service/route'],
  ['/service', '/route', false, 'v1', '/route', '/serviceroute'],
  ['/service', '/route', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route', false, 'v0', '/routereq', '/service/routereq'],
  ['/service', '/route', false, 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/route', true, ['v0', 'v1'], '/route', '/service'],
  ['/service', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service', '/route', true, 'v0', '/routereq', '/service/req'],
  ['/service', '/route', true, 'v1', '/routereq', '/servicereq'],
  ['/service', '/route/', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route/', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route/', false, 'v0', '/route/req', '/service/route/req'],
  ['/service', '/route/', false, 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route/', true, 'v0', '/route/', '/service/'],
  ['/service', '/route/', true, 'v1', '/route/', '/service'],
  ['/service', '/route/', true, 'v0', '/route/req', '/service/req'],
  ['/service', '/route/', true, 'v1', '/route/req', '/servicereq'],
  ['/service/', '/', [false, true], 'v0', '/route/', '/service/route/'],
  ['/service/', '/', [false, true], 'v1', '/route/', '/service/route/'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/', '/service/'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/routereq', '/service/routereq'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/route/req', '/service/route/req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service/', '/route', false, ['v0', 'v1'], '/routereq', '/service/routereq'],
  ['/service/', '/route', true, 'v0', '/route', '/service'],
  ['/service/', '/route', true, 'v1', '/route', '/service/'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service/', '/route', true, ['v0', 'v1'], '/routereq', '/service/req'],
  ['/service/', '/route/', false, ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service/', '/route/', false, ['v0', 'v1'], '/route/req', '/service/route/req'],
  ['/service/', '/route/', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service/', '/route/', true, ['v0', 'v1'], '/route/req', '/service/req'],
  ['/', null, [false, true], ['v0', 'v1'], '/', '/'],
  ['/', null, [false, true], ['v0', 'v1'], '/route', '/route'],
  ['/', null, [false, true], ['v0', 'v1'], '/route/', '/route/'],
  ['/service', null, [false, true], ['v0', 'v1'], '/', '/service'],
  ['/service', null, [false, true], 'v0', '/route', '/service/route'],
  ['/service', null, [false, true], 'v1', '/route', '/serviceroute'],
  ['/service', null, [false, true], 'v0', '/route/', '/service/route/'],
  ['/service', null, [false, true], 'v1', '/route/', '/serviceroute/'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/', '/service/'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service', '/route', true, 'v0', '/route./req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route./req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route./req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2E/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2e/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2e/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2e/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route../req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route../req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route../req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2E%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2E%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2E%2E/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2e%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2e%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2e%2E/req', '/service/req'],
  ['/service', '/route', false, 'v0', '/route./req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route./req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route./req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route%2E/req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route%2E/req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2E/req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route%2e/req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route%2e/req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2e/req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route../req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route../req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route../req', '/service/route../req'],
  ['/service', '/route', false, 'v0', '/route%2E%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route%2E%2E/req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2E%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v0', '/route%2e%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route%2e%2E/req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2e%2E/req', '/service/route../req'],
]

interface Case {
  service: string
  route: string | null
  strip: boolean
  handling: PathHandling
  request: string
  expected: string
}

function expand(): Case[] {
  const out: Case[] = []
  for (const [service, route, strips, handlings, request, expected] of rows) {
    for (const strip of Array.isArray(strips) ? strips : [strips]) {
      for (const handling of Array.isArray(handlings) ? handlings : [handlings]) {
        out.push({ service, route, strip, handling, request, expected })
      }
    }
  }
  return out
}

/** Routes the request through a one-route router, then builds the upstream path. */
function run(c: Case, routePath: string | null): string {
  const id = 'e8fb37f1-102d-461e-9c51-6608a6bb8101'
  const router = compileRouter([
    routePath === null
      ? { id, hosts: ['localbin.com'], strip_path: c.strip }
      : { id, hosts: ['localbin.com'], paths: [routePath], strip_path: c.strip },
  ])
  const path = normalizeRequestPath(c.request)
  const m = router.match({ method: 'GET', host: 'localbin.com', port: 80, path, headers: {}, scheme: 'http' })
  assert.ok(m, 'route matched')
  return upstreamPath(c.service, m, path, c.strip, c.handling)
}

describe('upstreamPath: Kong path handling fixtures (router.md §7.5)', () => {
  const cases = expand()

  it('has every row of the fixture (113 rows, 212 expanded cases)', () => {
    assert.equal(rows.length, 113)
    assert.equal(cases.length, 212)
  })

  for (const [i, c] of cases.entries()) {
    const what = c.route === null ? 'host' : `uri ${c.route}`
    it(`(${i + 1}) plain, ${c.service} with ${what}, strip=${c.strip}, ${c.handling}. req: ${c.request}`, () => {
      assert.equal(run(c, c.route), c.expected)
    })
  }

  // Kong runs the same table with the route path turned into a regex (`/x` → `~/[0]?x`).
  for (const [i, c] of cases.entries()) {
    if (c.route === null) continue
    const regex = `~/[0]?${c.route.slice(1)}`
    it(`(${i + 1}) regex, ${c.service} with ${regex}, strip=${c.strip}, ${c.handling}. req: ${c.request}`, () => {
      assert.equal(run(c, regex), c.expected)
    })
  }

  it('a regex strips its whole match (spec row: /status/200 with ~/status/(re))', () => {
    const c = {
      service: '/status/200',
      route: null,
      strip: true,
      handling: 'v0' as const,
      request: '/status/re',
    }
    assert.equal(run({ ...c, expected: '' }, '~/status/(re)'), '/status/200')
  })

  it('no service path means `/`', () => {
    assert.equal(upstreamPath(null, null, '/a/b', false), '/a/b')
    assert.equal(upstreamPath(undefined, { matchedPath: '/a' }, '/a/b', true), '/b')
  })
})

describe('sanitizePostfix (router.md §7.3)', () => {
  it('drops a leading ./ or ../ and empties . and ..', () => {
    assert.equal(sanitizePostfix('./x'), 'x')
    assert.equal(sanitizePostfix('../x'), 'x')
    assert.equal(sanitizePostfix('.'), '')
    assert.equal(sanitizePostfix('..'), '')
    assert.equal(sanitizePostfix('.x'), '.x')
    assert.equal(sanitizePostfix(''), '')
  })
})

describe('escapeUpstreamPath (router.md §7.5 finishing step 1)', () => {
  it('keeps unreserved, reserved characters and %', () => {
    const keep = "/AZaz09-_.~!#$&'()*+,/:;=?@[]%2F"
    assert.equal(escapeUpstreamPath(keep), keep)
  })

  it('returns the same string when nothing needs escaping', () => {
    const p = '/api/v1/users'
    assert.equal(escapeUpstreamPath(p), p)
  })

  it('encodes other characters as upper-case UTF-8 escapes', () => {
    assert.equal(escapeUpstreamPath('/foo bar'), '/foo%20bar')
    assert.equal(escapeUpstreamPath('/t/Abc 123ø%2F/test/'), '/t/Abc%20123%C3%B8%2F/test/')
    assert.equal(escapeUpstreamPath('/"\\^`{|}<>'), '/%22%5C%5E%60%7B%7C%7D%3C%3E')
    assert.equal(escapeUpstreamPath('/\u0001\u007f'), '/%01%7F')
    assert.equal(escapeUpstreamPath('/€/😀'), '/%E2%82%AC/%F0%9F%98%80')
    assert.equal(escapeUpstreamPath('/\ud800x'), '/%EF%BF%BDx')
  })

  it('normalize then escape round-trips a request path', () => {
    assert.equal(escapeUpstreamPath(normalizeRequestPath('/foo%20bar')), '/foo%20bar')
    assert.equal(escapeUpstreamPath(normalizeRequestPath('/a%2fb%3F')), '/a%2Fb%3F')
  })
})
