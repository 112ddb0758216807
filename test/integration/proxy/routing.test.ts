// Routing through the real gateway: the worked examples of router.md §5.2 (route sets A and B),
// created through the Admin API and requested through the proxy, plus host ports and path
// handling. Every route has its own service whose path is the route's name, so the upstream
// path tells which route won.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, until, untilStatus } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

type RouteDef = Record<string, unknown>

interface Example {
  n: number
  method?: string
  host?: string
  path: string
  headers?: Record<string, string>
  /** Route name, or null for 404. */
  winner: string | null
}

const SET_A: Record<string, RouteDef> = {
  a: { paths: ['/'] },
  b: { paths: ['/api'] },
  c: { paths: ['/api/v1'] },
  d: { paths: ['~/api/v\\d+/users$'] },
  e: { hosts: ['api.example.com'], paths: ['/api'] },
  f: { hosts: ['*.example.com'], paths: ['/api/v1'] },
  g: { methods: ['POST'], paths: ['/api'] },
  h: { headers: { 'x-version': ['2'] }, paths: ['/api'] },
  i: { hosts: ['api.example.com'] },
  j: { paths: ['~/api/(?<ver>v\\d+)/orders'], regex_priority: 10 },
  k: { paths: ['~/api/v1/orders/\\d+'] },
}

const EXAMPLES_A: Example[] = [
  { n: 1, host: 'other.test', path: '/', winner: 'a' },
  { n: 2, host: 'other.test', path: '/api', winner: 'b' },
  { n: 3, host: 'other.test', path: '/apix', winner: 'b' },
  { n: 4, host: 'other.test', path: '/api/v1/items', winner: 'c' },
  { n: 5, host: 'other.test', path: '/api/v2/users', winner: 'd' },
  { n: 6, host: 'other.test', path: '/api/v1/users', winner: 'd' },
  { n: 7, host: 'api.example.com', path: '/api/v1/items', winner: 'e' },
  { n: 8, host: 'api.example.com', path: '/', winner: 'i' },
  { n: 9, host: 'www.example.com', path: '/api/v1/x', winner: 'f' },
  { n: 10, host: 'www.example.com', path: '/api/v2', winner: 'b' },
  { n: 11, method: 'POST', host: 'other.test', path: '/api/v1', winner: 'g' },
  { n: 12, method: 'POST', host: 'api.example.com', path: '/api/v1', winner: 'e' },
  { n: 13, host: 'other.test', path: '/api/v1/orders/42', winner: 'j' },
  { n: 14, host: 'other.test', path: '/api/v1', headers: { 'x-version': '2' }, winner: 'h' },
  { n: 15, method: 'POST', host: 'other.test', path: '/api/v1', headers: { 'x-version': '2' }, winner: 'h' },
]

const SET_B: Record<string, RouteDef> = {
  h1: { hosts: ['api.example.com'] },
  h2: { hosts: ['*.example.com'] },
  h3: { hosts: ['api.*'] },
  m: { hosts: ['m.test'], paths: ['/a', '/a/b/c'] },
  nn: { hosts: ['m.test'], paths: ['/a/b'] },
  x: { hosts: ['x.test'], paths: ['~/items/\\d+$'] },
  y: { hosts: ['x.test'], paths: ['/items/123'] },
  ha: { paths: ['/h'], headers: { 'x-a': ['1'] } },
  hb: { paths: ['/h'], headers: { 'x-a': ['1'], 'x-b': ['~*^v\\d$'] } },
  // Not in router.md's set: a host with a port, and the same host without one elsewhere.
  ported: { hosts: ['ported.test:1234'], paths: ['/p'] },
}

const EXAMPLES_B: Example[] = [
  { n: 16, host: 'api.example.com', path: '/', winner: 'h1' },
  { n: 17, host: 'www.example.com', path: '/', winner: 'h2' },
  { n: 18, host: 'api.example.org', path: '/', winner: 'h3' },
  { n: 19, host: 'm.test', path: '/a/b/c/d', winner: 'm' },
  { n: 20, host: 'm.test', path: '/a/b/x', winner: 'nn' },
  { n: 21, host: 'm.test', path: '/a/x', winner: 'm' },
  { n: 22, host: 'x.test', path: '/items/123', winner: 'x' },
  { n: 23, host: 'x.test', path: '/items/1234/x', winner: 'y' },
  { n: 24, host: 'other.test', path: '/h', headers: { 'x-a': '1', 'x-b': 'V2' }, winner: 'hb' },
  { n: 25, host: 'other.test', path: '/h', headers: { 'x-a': '1', 'x-b': 'v22' }, winner: 'ha' },
  { n: 26, host: 'other.test', path: '/h', headers: { 'x-a': '2' }, winner: null },
  // host with port: the Host header's port must be the route's
  { n: 101, host: 'ported.test:1234', path: '/p', winner: 'ported' },
  { n: 102, host: 'ported.test:4321', path: '/p', winner: null },
  { n: 103, host: 'ported.test', path: '/p', winner: null },
]

/** The route that served a request (first segment of the upstream path), or null for 404. */
async function winnerOf(gw: Gateway, ex: Example): Promise<string | null> {
  const res = await send(`${gw.proxy}${ex.path}`, {
    method: ex.method ?? 'GET',
    headers: { host: ex.host ?? 'other.test', ...ex.headers },
  })
  if (res.status === 404) return null
  if (res.status !== 200) return `status ${res.status}`
  const body = JSON.parse(res.body) as EchoBody
  return body.url.split('/')[1].split('?')[0]
}

async function load(gw: Gateway, up: Upstream, set: Record<string, RouteDef>): Promise<void> {
  for (const [name, def] of Object.entries(set)) {
    await admin(gw, 'POST', '/services', { name, url: `${up.url}/${name}` })
    await admin(gw, 'POST', `/services/${name}/routes`, { name, ...def })
  }
}

function checkExamples(label: string, examples: Example[], get: () => Gateway): void {
  it(`${label}: every request goes to the route router.md names`, async () => {
    const gw = get()
    // The proxy applies the configuration within milliseconds: wait until it serves the set.
    await until(async () => (await winnerOf(gw, examples[0])) === examples[0].winner)
    const wrong: string[] = []
    for (const ex of examples) {
      const got = await winnerOf(gw, ex)
      if (got !== ex.winner)
        wrong.push(`#${ex.n} ${ex.method ?? 'GET'} ${ex.host} ${ex.path}: got ${got}, want ${ex.winner}`)
    }
    assert.deepEqual(wrong, [])
  })
}

describe('proxy: router priority examples (router.md §5.2)', () => {
  let up: Upstream
  let gwA: Gateway
  let gwB: Gateway
  before(async () => {
    up = await startUpstream()
    ;[gwA, gwB] = await Promise.all([startGateway({ proxy: true }), startGateway({ proxy: true })])
    await Promise.all([load(gwA, up, SET_A), load(gwB, up, SET_B)])
  })
  after(async () => {
    await Promise.all([gwA.stop(), gwB.stop()])
    await up.close()
  })

  checkExamples('route set A', EXAMPLES_A, () => gwA)
  checkExamples('route set B', EXAMPLES_B, () => gwB)

  it('strips the whole regex match, and keeps the rest of the path', async () => {
    await admin(gwA, 'POST', '/services', { name: 'rx', url: `${up.url}/rx` })
    await admin(gwA, 'POST', '/services/rx/routes', {
      hosts: ['rx.test'],
      paths: ['~/users/(?<id>\\d+)'],
    })
    const res = await untilStatus(`${gwA.proxy}/users/42/orders?x=1`, 200, { headers: { host: 'rx.test' } })
    const body = JSON.parse(res.body) as EchoBody
    assert.equal(body.url, '/rx/orders?x=1')
    assert.equal(body.headers['x-forwarded-prefix'], '/users/42')
  })

  it('path_handling v1 is treated as v0 (traditional_compatible flavor)', async () => {
    await admin(gwA, 'POST', '/services', { name: 'v1', url: `${up.url}/svc/` })
    await admin(gwA, 'POST', '/services/v1/routes', {
      hosts: ['v1.test'],
      paths: ['/pre'],
      path_handling: 'v1',
    })
    const res = await untilStatus(`${gwA.proxy}/pre/x`, 200, { headers: { host: 'v1.test' } })
    // v0: base ends with "/", rest starts with "/" → base without its last "/" + rest
    assert.equal((JSON.parse(res.body) as EchoBody).url, '/svc/x')
  })
})
