// database = postgres, end to end on the machine's PostgreSQL (database `test`, a schema of this
// test's own): `migrations bootstrap`, the Admin API writing and reading (with Kong's errors),
// the proxy serving what was written, and the data still there after a restart.
import assert from 'node:assert/strict'
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
