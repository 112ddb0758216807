// ip-restriction (plugins.md §6.8) through the real gateway and a real upstream. The gateway
// listens on 127.0.0.1 only and trusts it, with X-Forwarded-For as the real-IP header
// (recursive): requests without the header come from 127.0.0.1, the others from the address in
// the header — which is how IPv6 clients are tested.
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

describe('ip-restriction', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({
      proxy: true,
      env: { TRUSTED_IPS: '127.0.0.1', REAL_IP_HEADER: 'X-Forwarded-For', REAL_IP_RECURSIVE: 'on' },
    })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  /**
   * A route with ip-restriction; waits until a request from `ip` (default 127.0.0.1) gets the
   * rejection `status`, so the plugin is known to be active (a 200 would not tell).
   */
  async function restricted(
    config: Record<string, unknown>,
    status: number,
    ip?: string,
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'ip-restriction', config }, `/routes/${r.routeId}`)
    await untilProxy(r.url, status, ip === undefined ? {} : from(ip))
    return r
  }

  /** The status of a request from 127.0.0.1. */
  async function local(r: TestRoute): Promise<number> {
    return (await send(r.url)).status
  }

  function from(ip: string): { headers: Record<string, string> } {
    return { headers: { 'x-forwarded-for': ip } }
  }

  describe('plugin configuration', () => {
    it('fills the defaults: no status or message stored, the stream protocols included', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(
        gw,
        { name: 'ip-restriction', config: { allow: ['10.0.0.0/8'] } },
        `/routes/${r.routeId}`,
      )
      assert.deepEqual(p.config, { allow: ['10.0.0.0/8'], deny: null, status: null, message: null })
      assert.deepEqual([...(p.protocols as string[])].sort(), [
        'grpc',
        'grpcs',
        'http',
        'https',
        'tcp',
        'tls',
      ])
    })

    it('accepts IPv4, IPv6 and CIDR entries, in both lists at once', async () => {
      const r = await addRoute(gw, up.url)
      const config = {
        allow: ['127.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32', '::/0'],
        deny: ['192.168.0.1/32', 'fe80::/10'],
        status: 401,
        message: 'Go away',
      }
      const p = await addPlugin(gw, { name: 'ip-restriction', config }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, config)
    })

    it("refuses invalid addresses and ranges, per entry, with Kong's message", async () => {
      const one = await refused(gw, '/plugins', { name: 'ip-restriction', config: { allow: ['hello'] } })
      assert.equal(one.status, 400)
      assert.equal(one.body.name, 'schema violation')
      assert.deepEqual(one.body.fields, { config: { allow: ["invalid ip or cidr range: 'hello'"] } })
      const cidrs = await refused(gw, '/plugins', {
        name: 'ip-restriction',
        config: { deny: ['0.0.0.0/a', '0.0.0.0/-1', '0.0.0.0/33', '::/129', '::1/a'] },
      })
      assert.deepEqual(cidrs.body.fields, {
        config: {
          deny: [
            "invalid ip or cidr range: '0.0.0.0/a'",
            "invalid ip or cidr range: '0.0.0.0/-1'",
            "invalid ip or cidr range: '0.0.0.0/33'",
            "invalid ip or cidr range: '::/129'",
            "invalid ip or cidr range: '::1/a'",
          ],
        },
      })
      const third = await refused(gw, '/plugins', {
        name: 'ip-restriction',
        config: { allow: ['127.0.0.1/32', '127.0.0.2/32', '1.2.3.256'] },
      })
      const allow = (third.body.fields as { config: { allow: unknown[] } }).config.allow
      assert.equal(allow[2], "invalid ip or cidr range: '1.2.3.256'")
      assert.equal(allow[0] ?? null, null)
    })

    it('needs a non-empty allow or deny; checks the types of every field', async () => {
      const atLeast = "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
      const none = await refused(gw, '/plugins', { name: 'ip-restriction', config: {} })
      assert.equal(none.status, 400)
      assert.deepEqual(none.body.fields, { '@entity': [atLeast] })
      const empty = await refused(gw, '/plugins', { name: 'ip-restriction', config: { allow: [], deny: [] } })
      assert.deepEqual(empty.body.fields, { '@entity': [atLeast] })
      const notArray = await refused(gw, '/plugins', { name: 'ip-restriction', config: { allow: 12 } })
      assert.deepEqual(notArray.body.fields, { config: { allow: 'expected an array' } })
      const status = await refused(gw, '/plugins', {
        name: 'ip-restriction',
        config: { deny: ['1.1.1.1'], status: 'x' },
      })
      assert.deepEqual(status.body.fields, { config: { status: 'expected a number' } })
      const msg = await refused(gw, '/plugins', {
        name: 'ip-restriction',
        config: { deny: ['1.1.1.1'], message: 1 },
      })
      assert.deepEqual(msg.body.fields, { config: { message: 'expected a string' } })
    })
  })

  describe('IPv4', () => {
    it('deny: 403 "IP address not allowed: <ip>" for a listed address, others pass', async () => {
      const r = await restricted({ deny: ['127.0.0.1', '127.0.0.2'] }, 403)
      const res = await send(r.url)
      assert.equal(res.status, 403)
      assert.equal(message(res), 'IP address not allowed: 127.0.0.1')
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
      const other = await restricted({ deny: ['127.0.0.2'] }, 403, '127.0.0.2')
      assert.equal(echoed(await send(other.url)).method, 'GET')
    })

    it('allow: only listed addresses pass', async () => {
      const ok = await restricted({ allow: ['127.0.0.1'] }, 403, '127.0.0.2')
      assert.equal(await local(ok), 200)
      const r = await restricted({ allow: ['127.0.0.2'] }, 403)
      const res = await send(r.url)
      assert.equal(message(res), 'IP address not allowed: 127.0.0.1')
    })

    it('CIDR ranges in both lists', async () => {
      const d = await restricted({ deny: ['127.0.0.0/24'] }, 403)
      assert.equal((await send(d.url, from('127.0.1.1'))).status, 200)
      assert.equal(await local(await restricted({ allow: ['127.0.0.0/24'] }, 403, '127.0.1.1')), 200)
      assert.equal(await local(await restricted({ allow: ['0.0.0.0/0'] }, 403, '::1')), 200)
      await restricted({ allow: ['127.0.1.0/24'] }, 403)
      assert.equal(await local(await restricted({ deny: ['10.0.0.0/8'] }, 403, '10.9.8.7')), 200)
      const r = await restricted({ allow: ['10.0.0.0/8', '192.168.0.0/16'] }, 403)
      assert.equal((await send(r.url, from('10.200.3.4'))).status, 200)
      assert.equal((await send(r.url, from('192.168.77.1'))).status, 200)
      const res = await send(r.url, from('11.0.0.1'))
      assert.equal(res.status, 403)
      assert.equal(message(res), 'IP address not allowed: 11.0.0.1')
    })

    it('deny takes precedence over allow', async () => {
      await restricted({ allow: ['127.0.0.1'], deny: ['127.0.0.1'] }, 403)
      await restricted({ allow: ['127.0.0.0/24'], deny: ['127.0.0.1'] }, 403)
      await restricted({ allow: ['127.0.0.0/24'], deny: ['127.0.0.0/24'] }, 403)
      const partial = await restricted({ allow: ['127.0.0.0/24'], deny: ['127.0.0.2'] }, 403, '127.0.0.2')
      assert.equal(await local(partial), 200)
      // allow only matters once deny did not match: an unlisted address is refused
      const r = await restricted({ allow: ['127.0.0.1'], deny: ['10.0.0.1'] }, 403, '10.0.0.1')
      assert.equal((await send(r.url, from('10.0.0.2'))).status, 403)
      assert.equal(await local(r), 200)
    })

    it('status and message replace the defaults', async () => {
      const r = await restricted({ deny: ['127.0.0.0/24'], status: 401, message: 'Forbidden' }, 401)
      const res = await send(r.url)
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Forbidden')
      const s = await restricted({ deny: ['127.0.0.1'], status: 451 }, 451)
      assert.equal(message(await send(s.url)), 'IP address not allowed: 127.0.0.1')
      const m = await restricted({ allow: ['10.0.0.1'], message: 'Not from here' }, 403)
      assert.equal(message(await send(m.url)), 'Not from here')
    })
  })

  describe('the client address after real-IP processing', () => {
    it('uses the address a trusted peer sends in X-Forwarded-For', async () => {
      const r = await restricted({ allow: ['127.0.0.3'] }, 403)
      assert.equal((await send(r.url, from('127.0.0.3'))).status, 200)
      const res = await send(r.url, from('127.0.0.4'))
      assert.equal(res.status, 403)
      assert.equal(message(res), 'IP address not allowed: 127.0.0.4')
    })

    it('takes the right-most untrusted address of a list (real_ip_recursive)', async () => {
      const r = await restricted({ allow: ['127.0.0.4'] }, 403)
      assert.equal((await send(r.url, from('127.0.0.3, 127.0.0.4'))).status, 200)
      assert.equal((await send(r.url, from('127.0.0.4, 127.0.0.3'))).status, 403)
      // trusted hops are skipped
      assert.equal((await send(r.url, from('127.0.0.4, 127.0.0.1'))).status, 200)
    })
  })

  describe('IPv6', () => {
    it('deny and allow single IPv6 addresses', async () => {
      const d = await restricted({ deny: ['::1', '::2'] }, 403, '::1')
      const res = await send(d.url, from('::1'))
      assert.equal(res.status, 403)
      assert.equal(message(res), 'IP address not allowed: ::1')
      assert.equal((await send(d.url, from('::3'))).status, 200)
      const a = await restricted({ allow: ['::2'] }, 403)
      assert.equal((await send(a.url, from('::2'))).status, 200)
      assert.equal((await send(a.url, from('0:0:0:0:0:0:0:2'))).status, 200)
      assert.equal((await send(a.url, from('::1'))).status, 403)
    })

    it('IPv6 CIDR ranges', async () => {
      const d = await restricted({ deny: ['fe80::/8'] }, 403, 'fe80::1234')
      assert.equal((await send(d.url, from('fe00::1'))).status, 403)
      assert.equal(await local(d), 200)
      assert.equal((await send(d.url, from('2001:db8::1'))).status, 200)
      const a = await restricted({ allow: ['2001:db8::/32'] }, 403)
      assert.equal((await send(a.url, from('2001:db8:ffff::1'))).status, 200)
      const res = await send(a.url, from('2001:db9::1'))
      assert.equal(res.status, 403)
      assert.equal(message(res), 'IP address not allowed: 2001:db9::1')
    })

    it('IPv4 and IPv6 rules do not mix; deny wins in IPv6 too', async () => {
      // ::/0 allows every IPv6 client, not an IPv4 one
      const all6 = await restricted({ allow: ['::/0'] }, 403)
      assert.equal((await send(all6.url, from('2001:db8::5'))).status, 200)
      const all4 = await restricted({ allow: ['0.0.0.0/0'] }, 403, '::1')
      assert.equal(await local(all4), 200)
      const both = await restricted(
        { allow: ['::/0', '127.0.0.1'], deny: ['2001:db8::/64'] },
        403,
        '2001:db8::1',
      )
      assert.equal((await send(both.url, from('2001:db8:0:1::1'))).status, 200)
      assert.equal(await local(both), 200)
    })
  })

  describe('scopes and changes', () => {
    it('config changes apply at once; disabling the plugin lets everyone in', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(
        gw,
        { name: 'ip-restriction', config: { deny: ['127.0.0.1'] } },
        `/routes/${r.routeId}`,
      )
      await untilProxy(r.url, 403)
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { config: { deny: ['127.0.0.2'] } })
      await untilProxy(r.url, 200)
      assert.equal((await send(r.url, from('127.0.0.2'))).status, 403)
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { config: { deny: null, allow: ['10.0.0.1'] } })
      await untilProxy(r.url, 403)
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { enabled: false })
      await untilProxy(r.url, 200)
    })

    it('can be scoped to a consumer (after authentication)', async () => {
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${r.routeId}`)
      const alice = await admin(gw, 'POST', '/consumers', { username: 'ipr-alice' })
      await admin(gw, 'POST', '/consumers', { username: 'ipr-bob' })
      await admin(gw, 'POST', '/consumers/ipr-alice/key-auth', { key: 'ipr-alice-key' })
      await admin(gw, 'POST', '/consumers/ipr-bob/key-auth', { key: 'ipr-bob-key' })
      await addPlugin(gw, {
        name: 'ip-restriction',
        config: { deny: ['127.0.0.1'] },
        route: { id: r.routeId },
        consumer: { id: alice.id },
      })
      const res = await untilProxy(r.url, 403, { headers: { apikey: 'ipr-alice-key' } })
      assert.equal(message(res), 'IP address not allowed: 127.0.0.1')
      assert.equal((await send(r.url, { headers: { apikey: 'ipr-bob-key' } })).status, 200)
    })
  })
})
