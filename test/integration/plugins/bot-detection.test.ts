// bot-detection (plugins.md §6.17) through the real gateway and a real upstream: the built-in
// bot list, allow/deny regexes and their precedence, the 400 for repeated User-Agent headers,
// configuration rules.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  message,
  refused,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { admin, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36'
const GOOGLEBOT = 'Googlebot/2.1 (+http://www.google.com/bot.html)'
const FACEBOOK = 'facebookexternalhit/1.1'
const HELLOWORLD = 'HelloWorld'

describe('bot-detection', () => {
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

  function ua(value: string | string[]): { headers: Record<string, string | string[]> } {
    return { headers: { 'user-agent': value } }
  }

  /** A route with bot-detection; waits until `probe` gets `status` (the plugin is then active). */
  async function protectedRoute(
    config: Record<string, unknown> = {},
    probe = GOOGLEBOT,
    status = 403,
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'bot-detection', config }, `/routes/${r.routeId}`)
    await untilProxy(r.url, status, ua(probe))
    return r
  }

  describe('plugin configuration', () => {
    it('fills the defaults of plugins.md §6.17', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'bot-detection' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, { allow: [], deny: [] })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
    })

    it('refuses invalid regexes, bad types and consumer scoping', async () => {
      const bad = await refused(gw, '/plugins', { name: 'bot-detection', config: { deny: ['ok', '[a-'] } })
      assert.equal(bad.status, 400)
      assert.equal(bad.body.name, 'schema violation')
      const deny = (bad.body.fields as { config: { deny: unknown[] } }).config.deny
      assert.equal(deny[1], 'not a valid regex: [a-')
      assert.equal(deny[0] ?? null, null)
      const allow = await refused(gw, '/plugins', { name: 'bot-detection', config: { allow: 'curl' } })
      assert.deepEqual(allow.body.fields, { config: { allow: 'expected an array' } })
      const elem = await refused(gw, '/plugins', { name: 'bot-detection', config: { allow: [1] } })
      assert.deepEqual(elem.body.fields, { config: { allow: ['expected a string'] } })
      const c = await admin(gw, 'POST', '/consumers', { username: 'bot-scoped' })
      const scoped = await refused(gw, '/plugins', { name: 'bot-detection', consumer: { id: c.id } })
      assert.equal(scoped.status, 400)
      assert.equal((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
    })

    it('accepts PCRE syntax (inline flags) in allow and deny', async () => {
      const r = await protectedRoute({ deny: ['(?i)^evil'] }, 'EVIL-agent/1.0')
      assert.equal((await send(r.url, ua('good-agent'))).status, 200)
    })
  })

  describe('proxying', () => {
    it('lets requests without a User-Agent, browsers and common clients through', async () => {
      const r = await protectedRoute()
      assert.equal(echoed(await send(r.url)).headers['user-agent'], undefined)
      for (const agent of [
        CHROME,
        'curl/7.43.0',
        'Wget/1.21.4',
        'python-requests/2.31.0',
        'PostmanRuntime/7.36.0',
        HELLOWORLD,
      ]) {
        const res = await send(r.url, ua(agent))
        assert.equal(res.status, 200, agent)
        assert.equal(echoed(res).headers['user-agent'], agent)
      }
    })

    it('403 Forbidden for the built-in bots: crawlers, HTTP libraries, generic bot names', async () => {
      const r = await protectedRoute()
      for (const agent of [
        GOOGLEBOT,
        FACEBOOK,
        'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
        'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
        'Twitterbot/1.0',
        'Python-urllib/3.11',
        'Go-http-client/1.1',
        'Apache-HttpClient/4.5.13 (Java/17)',
        'okhttp/4.12.0',
        'axios/1.6.8',
        'aws-sdk-go/1.44.0 (go1.21; linux; amd64)',
        'SomeNewBot/0.1',
        'mega-crawler/3.0',
      ]) {
        const res = await send(r.url, ua(agent))
        assert.equal(res.status, 403, agent)
        assert.equal(message(res), 'Forbidden')
      }
    })

    it('deny regexes block matching User-Agents', async () => {
      const r = await protectedRoute({ deny: [HELLOWORLD, '^curl/8'] }, HELLOWORLD)
      const res = await send(r.url, ua(`Say ${HELLOWORLD}`))
      assert.equal(res.status, 403)
      assert.equal(message(res), 'Forbidden')
      assert.equal((await send(r.url, ua('curl/8.5.0'))).status, 403)
      assert.equal((await send(r.url, ua('curl/7.43.0'))).status, 200)
      // case-sensitive
      assert.equal((await send(r.url, ua('helloworld'))).status, 200)
    })

    it('allow regexes let matching User-Agents through, before deny and the built-in list', async () => {
      const r = await protectedRoute({ allow: [FACEBOOK], deny: [HELLOWORLD] }, HELLOWORLD)
      assert.equal((await send(r.url, ua(FACEBOOK))).status, 200)
      assert.equal((await send(r.url, ua(GOOGLEBOT))).status, 403)
      const both = await protectedRoute({ allow: ['Hello'], deny: [HELLOWORLD] }, GOOGLEBOT)
      assert.equal((await send(both.url, ua(HELLOWORLD))).status, 200)
    })

    it('400 "Only one User-Agent header allowed" for repeated User-Agent headers', async () => {
      const r = await protectedRoute()
      const res = await send(r.url, ua(['curl/7.43.0', CHROME]))
      assert.equal(res.status, 400)
      assert.equal(message(res), 'Only one User-Agent header allowed')
    })

    it('configuration changes apply at once (results are cached per configuration)', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(
        gw,
        { name: 'bot-detection', config: { deny: [HELLOWORLD] } },
        `/routes/${r.routeId}`,
      )
      await untilProxy(r.url, 403, ua(HELLOWORLD))
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { config: { deny: [], allow: [] } })
      await untilProxy(r.url, 200, ua(HELLOWORLD))
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { config: { allow: ['Googlebot'] } })
      await untilProxy(r.url, 200, ua(GOOGLEBOT))
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { enabled: false })
      await untilProxy(r.url, 200, ua('Go-http-client/1.1'))
    })

    it('a global instance covers every route', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'bot-detection' })
      try {
        await untilProxy(r.url, 403, ua(GOOGLEBOT))
        assert.equal((await send(r.url, ua(CHROME))).status, 200)
      } finally {
        await admin(gw, 'DELETE', `/plugins/${p.id}`)
      }
    })
  })
})
