// database = postgres, end to end on the machine's PostgreSQL (database `test`, a schema of each
// test's own, dropped afterwards): `migrations bootstrap`, the Admin API writing and reading (with
// Kong's errors), the proxy serving what was written, and the data still there after a restart.
// Several nodes on one database: test/integration/cluster/.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../helpers/cli.js'
import { startCluster } from '../../helpers/cluster.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

describe('database = postgres', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
  })

  it('start refuses a database that was never bootstrapped; bootstrap prepares it', async () => {
    // a schema name that needs quoting: upper case, a space, a quote
    const cluster = await startCluster({ nodes: 0, bootstrap: false, schemaPrefix: 'Sb "Odd" Schema' })
    try {
      await assert.rejects(cluster.addNode(), /bootstrap/)
      const r = await runCli(['migrations', 'bootstrap'], cluster.kongEnv)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /Database is up-to-date/)
      const list = await runCli(['migrations', 'list'], cluster.kongEnv)
      assert.equal(list.code, 0, list.stderr)
      const gw = await cluster.addNode()
      await admin(gw, 'POST', '/services', { name: 'odd', url: up.url })
      await admin(gw, 'POST', '/services/odd/routes', { paths: ['/odd'] })
      await until(async () => (await send(`${gw.proxy}/odd`)).status === 200)
    } finally {
      await cluster.stop()
    }
  })

  it('stores, validates, proxies, and keeps the configuration across a restart', async () => {
    const cluster = await startCluster({ nodes: 1 })
    try {
      let gw = cluster.nodes[0]
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
      gw = await cluster.addNode()
      await until(async () => (await send(`${gw.proxy}/pg`)).status === 200)
      assert.equal((await admin(gw, 'GET', '/services/pg-svc')).name, 'pg-svc')
      const root = await admin(gw, 'GET', '/')
      assert.equal((root.configuration as { database: string }).database, 'postgres')
    } finally {
      await cluster.stop()
    }
  })
})
