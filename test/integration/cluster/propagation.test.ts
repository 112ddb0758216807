// Several nodes on one PostgreSQL schema (test/helpers/cluster.ts): a write on any node reaches
// every other node's proxy through LISTEN/NOTIFY, and nodes keep serving while PostgreSQL is
// away and catch up when it is back. Delays are printed as test diagnostics, never asserted:
// the only bound is the wait's timeout, far below the 60 s poll interval these nodes use.
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { type Cluster, PG, startCluster } from '../../helpers/cluster.js'
import type { Gateway } from '../../helpers/gateway.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** Polls `url` until it answers `status`; returns the ms elapsed since `since`. */
async function delayUntil(url: string, status: number, since: number): Promise<number> {
  await until(async () => (await send(url)).status === status, 5000)
  return Date.now() - since
}

describe('a cluster of nodes on PostgreSQL', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
  })

  it('a write on each of 3 nodes reaches the proxies of the other two (LISTEN/NOTIFY)', async (t) => {
    // a long poll interval: only the notification can explain a quick arrival
    const cluster: Cluster = await startCluster({ nodes: 3, env: { DB_UPDATE_FREQUENCY: '60' } })
    try {
      const [a, b, c] = cluster.nodes
      const name = (n: Gateway) => `node ${cluster.nodes.indexOf(n) + 1}`
      const lines: string[] = []
      for (const writer of [a, b, c]) {
        const others = cluster.nodes.filter((n) => n !== writer)
        const path = `/from-${cluster.nodes.indexOf(writer)}`
        await admin(writer, 'POST', '/services', { name: `svc${path.slice(1)}`, url: up.url })
        const route = await admin(writer, 'POST', `/services/svc${path.slice(1)}/routes`, { paths: [path] })
        const written = Date.now()
        const created = await Promise.all(others.map((o) => delayUntil(`${o.proxy}${path}`, 200, written)))
        lines.push(
          `create on ${name(writer)}: ${others.map((o, i) => `${name(o)} ${created[i]} ms`).join(', ')}`,
        )
        // and the next node deletes it: gone everywhere, the writer included
        const deleter = cluster.nodes[(cluster.nodes.indexOf(writer) + 1) % 3]
        await admin(deleter, 'DELETE', `/routes/${String(route.id)}`)
        const deleted = Date.now()
        const gone = await Promise.all(
          cluster.nodes
            .filter((n) => n !== deleter)
            .map((o) => delayUntil(`${o.proxy}${path}`, 404, deleted)),
        )
        lines.push(`delete on ${name(deleter)}: ${gone.map((ms) => `${ms} ms`).join(', ')}`)
      }
      t.diagnostic(`write-to-proxy delays: ${lines.join('; ')}`)
      // every node stored one write of each kind and sees the same services
      for (const n of cluster.nodes) {
        const names = ((await admin(n, 'GET', '/services')).data as { name: string }[]).map((s) => s.name)
        assert.deepEqual(names.sort(), ['svcfrom-0', 'svcfrom-1', 'svcfrom-2'])
      }
    } finally {
      await cluster.stop()
    }
  })

  it('nodes keep serving while PostgreSQL is unreachable, and catch up when it returns', async () => {
    // the nodes reach PostgreSQL through a forwarder the test can cut
    const sockets = new Set<net.Socket>()
    let open = true
    const forwarder = net.createServer((client) => {
      if (!open) {
        client.destroy()
        return
      }
      const server = net.connect(PG.port, PG.host)
      for (const s of [client, server]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => undefined)
      }
      client.pipe(server).pipe(client)
    })
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r))
    const port = String((forwarder.address() as net.AddressInfo).port)
    let cluster: Cluster | undefined
    try {
      cluster = await startCluster({
        nodes: 2,
        env: { PG_PORT: port, PG_TIMEOUT: '1000', DB_UPDATE_FREQUENCY: '0.5' },
      })
      const [a, b] = cluster.nodes
      await admin(a, 'POST', '/services', { name: 'cut', url: up.url })
      await admin(a, 'POST', '/services/cut/routes', { paths: ['/cut'] })
      await until(async () => (await send(`${b.proxy}/cut`)).status === 200, 5000)
      // cut: every connection to PostgreSQL drops, new ones are refused
      open = false
      for (const s of sockets) s.destroy()
      const statuses = new Set<number>()
      for (let i = 0; i < 20; i++) {
        statuses.add((await send(`${a.proxy}/cut`)).status)
        statuses.add((await send(`${b.proxy}/cut`)).status)
      }
      assert.deepEqual([...statuses], [200], 'the proxies serve from their configuration')
      const failed = await fetch(`${a.admin}/services`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'during', url: up.url }),
      })
      assert.ok(failed.status >= 500, `a write without the database: ${failed.status}`)
      // back: a write on A reaches B (the listener reconnects, the poll catches up)
      open = true
      await until(async () => (await fetch(`${a.admin}/services`).catch(() => null))?.status === 200, 10_000)
      await until(async () => {
        const r = await fetch(`${a.admin}/services`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'after', url: up.url }),
        })
        return r.status === 201 || r.status === 409
      }, 10_000)
      await admin(a, 'POST', '/services/after/routes', { paths: ['/after'] })
      await until(async () => (await send(`${b.proxy}/after`)).status === 200, 10_000)
    } finally {
      await cluster?.stop()
      forwarder.close()
      for (const s of sockets) s.destroy()
    }
  })
})
