// `migrations` commands while the nodes of a cluster serve traffic. The nodes run with one plugin
// that has no tables of its own; the commands run with every bundled plugin, so `up` has real
// work: the plugins' tables. One command at a time holds the schema's migrations lock (a PostgreSQL
// advisory lock): `up` waits for another holder (up to --lock-timeout) and then leaves the work
// to it, `finish` gives up at once, and the serving nodes answer throughout.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { MIGRATIONS_LOCK } from '../../../src/db/strategies/postgres/index.js'
import { type CliResult, runCli } from '../../helpers/cli.js'
import { PG, startCluster } from '../../helpers/cluster.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const NOT_LEADER = 'aborted: another node is performing database changes'

/** Requests through every proxy, one after the other, until stopped (at most ~2 minutes). */
function traffic(urls: string[]): { stop(): Promise<Map<number, number>> } {
  const statuses = new Map<number, number>()
  let running = true
  const loop = (async () => {
    const deadline = Date.now() + 120_000
    while (running && Date.now() < deadline) {
      for (const url of urls) {
        const status = await send(url, { timeout: 5000 }).then(
          (r) => r.status,
          () => 0,
        )
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      }
      await sleep(5)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return statuses
    },
  }
}

describe('migrations while the nodes serve', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
  })

  it('list, status, up (waiting for another holder of the lock), finish; the proxies keep answering', async () => {
    const cluster = await startCluster({ nodes: 2, env: { PLUGINS: 'request-termination' } })
    const allPlugins = { ...cluster.kongEnv, KONG_PLUGINS: 'bundled' }
    const migrate = (...args: string[]): Promise<CliResult> => runCli(['migrations', ...args], allPlugins)
    const [a, b] = cluster.nodes
    const holder = new pg.Client({ ...PG, application_name: 'test lock holder' })
    await holder.connect()
    const lockArgs = [MIGRATIONS_LOCK, cluster.schema]
    try {
      await admin(a, 'POST', '/services', { name: 'live', url: up.url })
      await admin(a, 'POST', '/services/live/routes', { name: 'live', paths: ['/live'] })
      await until(async () => (await send(`${b.proxy}/live`)).status === 200)
      const load = traffic([`${a.proxy}/live`, `${b.proxy}/live`])

      // the plugins' migrations are new to this schema
      const listed = await migrate('list')
      assert.equal(listed.code, 5, listed.stderr)
      assert.match(listed.stdout, /New migrations available:[\s\S]*key-auth: 000_base_key_auth/)
      assert.match(listed.stdout, /Run 'kong migrations up' to proceed/)
      const status = JSON.parse((await migrate('status')).stdout) as {
        new_migrations: { namespace: string }[]
      }
      assert.ok(status.new_migrations.some((n) => n.namespace === 'key-auth'))

      // another "node" holds the migrations lock of this schema
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', lockArgs)
      const finished = await migrate('finish')
      assert.equal(finished.code, 0, finished.stderr)
      assert.equal(finished.stdout.trim(), NOT_LEADER)
      const timedOut = await migrate('up', '--lock-timeout', '0.5')
      assert.equal(timedOut.code, 1)
      assert.match(timedOut.stderr, /Error: \[PostgreSQL error\] timeout/)
      // list and status take no lock
      assert.equal((await migrate('list')).code, 5)
      // `up` waits for the holder: released while it waits, it leaves the work to the holder
      const waiting = migrate('up')
      const pollLock = new pg.Client(PG)
      await pollLock.connect()
      try {
        await until(async () => {
          const r = await pollLock.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_try_advisory_lock%'",
            [`silverback migrations: ${cluster.schema}`],
          )
          return r.rows.length > 0
        }, 10_000)
      } finally {
        await pollLock.end()
      }
      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', lockArgs)
      const waited = await waiting
      assert.equal(waited.code, 0, waited.stderr)
      assert.equal(waited.stdout.trim(), NOT_LEADER)

      // a node with the new plugins refuses to start before the migrations ran
      await assert.rejects(cluster.addNode({ PLUGINS: 'bundled' }), /New migrations available/)

      // nobody holds the lock: `up` runs them, with the nodes serving
      const ran = await migrate('up')
      assert.equal(ran.code, 0, ran.stderr)
      assert.match(ran.stdout, /migrating key-auth on postgres database\.\.\./)
      assert.match(ran.stdout, /key-auth migrated up to: 000_base_key_auth \(executed\)/)
      const again = await migrate('up')
      assert.equal(again.stdout.trim(), 'Database is already up-to-date')
      const nothing = await migrate('finish')
      assert.equal(nothing.code, 0, nothing.stderr)
      assert.equal(nothing.stdout.trim(), 'No pending migrations to finish')
      assert.equal((await migrate('list')).code, 0)

      const statuses = await load.stop()
      assert.deepEqual([...statuses.keys()], [200], `proxy statuses: ${JSON.stringify([...statuses])}`)
      assert.ok((statuses.get(200) ?? 0) > 10, 'traffic flowed during the migrations')

      // the cluster goes on: a write on one node reaches the other, and a node with the new
      // plugins now starts and serves the same configuration
      await admin(b, 'PATCH', '/routes/live', { paths: ['/still-live'] })
      await until(async () => (await send(`${a.proxy}/still-live`)).status === 200)
      const c = await cluster.addNode({ PLUGINS: 'bundled' })
      await until(async () => (await send(`${c.proxy}/still-live`)).status === 200)
    } finally {
      await holder.end()
      await cluster.stop()
    }
  })

  it('start --run-migrations runs them first; nodes starting together do it once', async () => {
    const cluster = await startCluster({ nodes: 0, env: { PLUGINS: 'request-termination' } })
    try {
      const args = ['--run-migrations', '--lock-timeout', '30']
      const nodes = await Promise.all([
        cluster.addNode({ PLUGINS: 'bundled' }, args),
        cluster.addNode({ PLUGINS: 'bundled' }, args),
      ])
      const list = await runCli(['migrations', 'list'], { ...cluster.kongEnv, KONG_PLUGINS: 'bundled' })
      assert.equal(list.code, 0, list.stdout)
      const logs = nodes.map((n) => n.errorLog())
      assert.equal(logs.filter((l) => l.includes('key-auth migrated up to')).length, 1, logs.join('\n---\n'))
      await admin(nodes[0], 'POST', '/services', { name: 's', url: up.url })
      await admin(nodes[0], 'POST', '/services/s/routes', { name: 'r', paths: ['/r'] })
      await admin(nodes[0], 'POST', '/routes/r/plugins', { name: 'key-auth' })
      await until(async () => (await send(`${nodes[1].proxy}/r`)).status === 401)
    } finally {
      await cluster.stop()
    }
  })
})
