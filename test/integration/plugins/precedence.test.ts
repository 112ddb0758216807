// Scoping precedence (plugins.md §2.2): the same plugin type configured at every combination of
// route, service and consumer, and globally; the most specific instance wins, per request. The
// winning configuration is visible through rate-limiting's X-RateLimit-Limit-Hour header.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { addRoute } from '../../helpers/plugins.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

type Scope = 'route' | 'service' | 'consumer'

// Highest precedence first (plugins.md §2.2).
const LEVELS: { name: string; scopes: Scope[] }[] = [
  { name: 'route+service+consumer', scopes: ['route', 'service', 'consumer'] },
  { name: 'route+consumer', scopes: ['route', 'consumer'] },
  { name: 'service+consumer', scopes: ['service', 'consumer'] },
  { name: 'route+service', scopes: ['route', 'service'] },
  { name: 'consumer', scopes: ['consumer'] },
  { name: 'route', scopes: ['route'] },
  { name: 'service', scopes: ['service'] },
  { name: 'global', scopes: [] },
]

describe('plugin scoping precedence', () => {
  let up: Upstream
  let gw: Gateway
  let ids: Record<Scope, string>
  let withConsumer: string
  let withoutConsumer: string
  const instances = new Map<string, string>()

  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
    const r = await addRoute(gw, up.url)
    // a second route of the same service, where nobody authenticates
    const open = await admin(gw, 'POST', `/services/${r.serviceName}/routes`, { paths: [`${r.path}-open`] })
    const consumer = await admin(gw, 'POST', '/consumers', { username: 'scoped' })
    await admin(gw, 'POST', '/consumers/scoped/key-auth', { key: 'scoped-key' })
    await admin(gw, 'POST', `/routes/${r.routeId}/plugins`, { name: 'key-auth' })
    ids = { route: r.routeId, service: r.serviceId, consumer: consumer.id as string }
    withConsumer = r.url
    withoutConsumer = `${gw.proxy}${(open.paths as string[])[0]}`
    // hour limits 1001..1008 identify the level that configured them
    for (const [i, level] of LEVELS.entries()) {
      const body: Record<string, unknown> = {
        name: 'rate-limiting',
        config: { hour: 1001 + i, limit_by: 'ip' },
      }
      for (const s of level.scopes) body[s] = { id: ids[s] }
      const p = await admin(gw, 'POST', '/plugins', body)
      instances.set(level.name, p.id as string)
    }
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  async function limitSeen(url: string, headers: Record<string, string> = {}): Promise<string | undefined> {
    return (await send(url, { headers })).headers['x-ratelimit-limit-hour'] as string | undefined
  }

  async function expectLevel(url: string, level: string | undefined, headers: Record<string, string> = {}) {
    const want = level === undefined ? undefined : String(1001 + LEVELS.findIndex((l) => l.name === level))
    let seen: string | undefined
    try {
      await until(async () => {
        seen = await limitSeen(url, headers)
        return seen === want
      })
    } catch {
      assert.fail(`expected the ${level ?? 'no'} instance (${want}), the proxy applied ${seen}`)
    }
  }

  it('each level wins over all the levels below it, for an authenticated consumer', async () => {
    const auth = { apikey: 'scoped-key' }
    // without a consumer, on the other route: route+service and route instances are not for it
    await expectLevel(withoutConsumer, 'service')
    for (const level of LEVELS) {
      await expectLevel(withConsumer, level.name, auth)
      await admin(gw, 'DELETE', `/plugins/${instances.get(level.name)}`)
    }
    await expectLevel(withConsumer, undefined, auth)
    await expectLevel(withoutConsumer, undefined)
  })
})

describe('plugin scoping precedence without a consumer', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('route+service > route > service > global, and a consumer instance never applies', async () => {
    const r = await addRoute(gw, up.url)
    const c = await admin(gw, 'POST', '/consumers', { username: 'nobody-here' })
    const add = async (hour: number, scopes: Record<string, string>) =>
      (
        await admin(gw, 'POST', '/plugins', {
          name: 'rate-limiting',
          config: { hour, limit_by: 'ip' },
          ...scopes,
        })
      ).id as string
    const byId = (id: string) => ({ id })
    await add(2000, { consumer: byId(c.id as string) } as never)
    const g = await add(2001, {})
    const s = await add(2002, { service: byId(r.serviceId) } as never)
    const ro = await add(2003, { route: byId(r.routeId) } as never)
    const rs = await add(2004, { route: byId(r.routeId), service: byId(r.serviceId) } as never)
    const seen = async (want: string | undefined) =>
      until(async () => (await send(r.url)).headers['x-ratelimit-limit-hour'] === want)
    await seen('2004')
    for (const [id, next] of [
      [rs, '2003'],
      [ro, '2002'],
      [s, '2001'],
      [g, undefined], // the consumer instance (2000) never applies without a consumer
    ] as const) {
      await admin(gw, 'DELETE', `/plugins/${id}`)
      await seen(next)
    }
  })
})
