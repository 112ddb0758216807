// database = postgres, end to end on the machine's PostgreSQL (database `test`, a schema of this
// test's own): `migrations bootstrap`, the Admin API writing and reading (with Kong's errors),
// the proxy serving what was written, and the data still there after a restart.
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { runCli } from '../../helpers/cli.js'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const schema = `sb_it_${process.pid}_${Date.now()}`
const env = {
  DATABASE: 'postgres',
  PG_HOST: '127.0.0.1',
  PG_DATABASE: 'test',
  PG_USER: 'postgres',
  PG_SCHEMA: schema,
}
const kongEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [`KONG_${k}`, v]))

describe('database = postgres', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
    const c = new pg.Client({ host: '127.0.0.1', database: 'test', user: 'postgres' })
    await c.connect()
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await c.end()
  })

  it('start refuses a database that was never bootstrapped; bootstrap prepares it', async () => {
    await assert.rejects(startGateway({ env }), /bootstrap/)
    const r = await runCli(['migrations', 'bootstrap'], kongEnv)
    assert.equal(r.code, 0, r.stderr)
    const list = await runCli(['migrations', 'list'], kongEnv)
    assert.equal(list.code, 0, list.stderr)
  })

  it('a write on one node reaches the proxy of another node at once (LISTEN/NOTIFY)', async () => {
    // a long poll interval: only the notification can explain a quick arrival
    const slowPoll = { ...env, DB_UPDATE_FREQUENCY: '60' }
    const a = await startGateway({ env: slowPoll, proxy: true })
    const b = await startGateway({ env: slowPoll, proxy: true })
    try {
      const delays: number[] = []
      for (let i = 0; i < 5; i++) {
        await admin(a, 'POST', '/services', { name: `prop-${i}`, url: up.url })
        const written = Date.now()
        await admin(a, 'POST', `/services/prop-${i}/routes`, { paths: [`/prop-${i}`] })
        await until(async () => (await send(`${b.proxy}/prop-${i}`)).status === 200, 5000)
        delays.push(Date.now() - written)
      }
      // and the other way round, with a delete
      const routes = (await admin(b, 'GET', '/services/prop-0/routes')).data as { id: string }[]
      await admin(b, 'DELETE', `/routes/${routes[0].id}`)
      await until(async () => (await send(`${a.proxy}/prop-0`)).status === 404, 5000)
      delays.sort((x, y) => x - y)
      if (process.env.SHOW_DELAYS) console.log(`write-to-proxy delays (ms): ${delays.join(', ')}`)
      assert.ok(delays[delays.length - 1] < 2000, `write-to-proxy delays ${delays.join(', ')} ms`)
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  it('nodes keep serving while PostgreSQL is unreachable, and catch up when it returns', async () => {
    // the nodes reach PostgreSQL through a forwarder the test can cut
    const sockets = new Set<net.Socket>()
    let open = true
    const forwarder = net.createServer((c) => {
      if (!open) {
        c.destroy()
        return
      }
      const upstream = net.connect(5432, '127.0.0.1')
      for (const s of [c, upstream]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => undefined)
      }
      c.pipe(upstream).pipe(c)
    })
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r))
    const port = String((forwarder.address() as net.AddressInfo).port)
    const viaForwarder = { ...env, PG_PORT: port, PG_TIMEOUT: '1000', DB_UPDATE_FREQUENCY: '0.5' }
    const a = await startGateway({ env: viaForwarder, proxy: true })
    const b = await startGateway({ env: viaForwarder, proxy: true })
    try {
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
      await a.stop()
      await b.stop()
      forwarder.close()
      for (const s of sockets) s.destroy()
    }
  })

  it('stores, validates, proxies, and keeps the configuration across a restart', async () => {
    let gw: Gateway = await startGateway({ env, proxy: true })
    try {
      await admin(gw, 'POST', '/services', { name: 'pg-svc', url: up.url })
      await admin(gw, 'POST', '/services/pg-svc/routes', { name: 'pg-route', paths: ['/pg'], tags: ['t1'] })
      const dup = await fetch(`${gw.admin}/services`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'pg-svc', url: up.url }),
      })
      assert.equal(dup.status, 409)
      assert.equal(((await dup.json()) as { name: string }).name, 'unique constraint violation')
      await until(async () => (await send(`${gw.proxy}/pg`)).status === 200)
      assert.deepEqual(
        ((await admin(gw, 'GET', '/routes?tags=t1')).data as { name: string }[]).map((r) => r.name),
        ['pg-route'],
      )
      await gw.stop()
      gw = await startGateway({ env, proxy: true })
      await until(async () => (await send(`${gw.proxy}/pg`)).status === 200)
      assert.equal((await admin(gw, 'GET', '/services/pg-svc')).name, 'pg-svc')
      const root = await admin(gw, 'GET', '/')
      assert.equal((root.configuration as { database: string }).database, 'postgres')
    } finally {
      await gw.stop()
    }
  })
})
