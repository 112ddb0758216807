// pg_ro_*: with pg_ro_host set, reads that tolerate staleness (a worker's cache miss: consumers,
// credentials) go through a second connection; writes, the Admin API (as in Kong, it reads what
// it just wrote) and the change feed use the main one. The read-only connection goes through a
// TCP forwarder to the same server, so the test sees what travels over it.
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { PG, startCluster } from '../../helpers/cluster.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** A TCP forwarder to PostgreSQL that counts the connections made through it. */
async function forwarder(): Promise<{ port: number; connections(): number; refuse(): void; close(): void }> {
  let count = 0
  let refusing = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    count++
    const upstream = net.connect(PG.port, PG.host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    refuse() {
      refusing = true
      for (const s of sockets) s.destroy()
    },
    close() {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

describe('pg_ro_*: the read-only connection', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
  })

  it("serves the proxy's cache misses; the Admin API and writes use the main connection", async () => {
    const ro = await forwarder()
    const cluster = await startCluster({
      nodes: 1,
      env: { PG_RO_HOST: '127.0.0.1', PG_RO_PORT: String(ro.port) },
    })
    try {
      const gw = cluster.nodes[0]
      const enabled = new RegExp(
        `PostgreSQL read-only connection enabled \\(127\\.0\\.0\\.1:${ro.port}/test\\)`,
      )
      await until(async () => enabled.test(gw.errorLog()))
      await admin(gw, 'POST', '/services', { name: 'ro', url: up.url })
      await admin(gw, 'POST', '/services/ro/routes', { name: 'ro', paths: ['/ro'] })
      await admin(gw, 'POST', '/routes/ro/plugins', { name: 'key-auth' })
      await admin(gw, 'POST', '/consumers', { username: 'alice' })
      await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'alice-key' })
      for (const path of [
        '/consumers',
        '/consumers/alice',
        '/consumers/alice/key-auth',
        '/routes/ro/plugins',
      ])
        await admin(gw, 'GET', path)
      assert.equal(ro.connections(), 0, 'the Admin API read and wrote through the main connection')

      // the credential and its consumer are looked up on the first request that needs them
      await until(
        async () => (await send(`${gw.proxy}/ro`, { headers: { apikey: 'alice-key' } })).status === 200,
      )
      assert.ok(ro.connections() > 0, 'the cache miss went through the read-only connection')

      // the proof the other way round: without the read-only server, a new cache miss fails,
      // while what is cached, and every write, still works
      ro.refuse()
      assert.equal((await send(`${gw.proxy}/ro`, { headers: { apikey: 'alice-key' } })).status, 200)
      await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'second-key' })
      const missed = await send(`${gw.proxy}/ro`, { headers: { apikey: 'second-key' } })
      assert.equal(missed.status, 500, missed.body)
    } finally {
      await cluster.stop()
      ro.close()
    }
  })

  it('the other pg_ro_* settings alone do nothing (pg_ro_host enables the connection)', async () => {
    const cluster = await startCluster({ nodes: 1, env: { PG_RO_USER: 'sb_no_such_user' } })
    try {
      const gw = cluster.nodes[0]
      await until(async () => /pg_ro_user ignored: pg_ro_host is not set/.test(gw.errorLog()))
      await admin(gw, 'POST', '/services', { name: 's', url: up.url })
      await admin(gw, 'POST', '/services/s/routes', { name: 'r', paths: ['/r'] })
      await admin(gw, 'POST', '/routes/r/plugins', { name: 'key-auth' })
      await admin(gw, 'POST', '/consumers', { username: 'bob' })
      await admin(gw, 'POST', '/consumers/bob/key-auth', { key: 'bob-key' })
      await until(
        async () => (await send(`${gw.proxy}/r`, { headers: { apikey: 'bob-key' } })).status === 200,
      )
    } finally {
      await cluster.stop()
    }
  })
})
