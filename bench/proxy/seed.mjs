// Seeds a Silverback prefix's SQLite store with the benchmark's services and routes, in one
// transaction (much faster than 10,000 Admin API calls).
// Usage: node bench/proxy/seed.mjs <prefix> <upstream url> <routes> [plugins | targets=h:p,h:p...]
// With `plugins` (1 route only): key-auth and rate-limiting (local, limit never reached) on the
// route, and 100 consumers with the keys bench-key-0 .. bench-key-99.
import { join } from 'node:path'
import { createDB, createStrategy, migrationNamespaces } from '../../dist/db/index.js'
import { bootstrap } from '../../dist/db/migrations/runner.js'
import { PluginRegistry } from '../../dist/plugins/registry.js'

const [prefix, upstream, count] = process.argv.slice(2)
const routes = Number(count)
// `plugins` = key-auth and rate-limiting; or a comma-separated subset of the two
const pluginArg = process.argv[5] ?? ''
// `targets=…` (1 route only): the service goes through an upstream entity with these targets
const targets = pluginArg.startsWith('targets=') ? pluginArg.slice(8).split(',') : []
const chosen =
  pluginArg === 'plugins'
    ? ['key-auth', 'rate-limiting']
    : targets.length > 0
      ? []
      : pluginArg.split(',').filter(Boolean)
const withPlugins = chosen.length > 0
const strategy = createStrategy({ database: 'sqlite', sqlite_path: join(prefix, 'silverback.db') })
const { registry } = PluginRegistry.fromSetting(['bundled'])
await bootstrap(strategy, migrationNamespaces(registry), () => {})
const db = createDB(strategy, registry)
await db.write(undefined, async (ctx) => {
  if (targets.length > 0) {
    const up = await db.dao('upstreams').insert({ name: 'bench.upstream' }, { ctx })
    for (const target of targets) await db.dao('targets').insert({ target, upstream: { id: up.id } }, { ctx })
    await db.dao('services').insert({ name: 'bench', host: 'bench.upstream' }, { ctx })
  } else await db.dao('services').insert({ name: 'bench', url: upstream }, { ctx })
  if (routes === 1) {
    await db.dao('routes').insert({ name: 'root', paths: ['/'], service: { name: 'bench' } }, { ctx })
    if (withPlugins) {
      if (chosen.includes('key-auth'))
        await db.dao('plugins').insert({ name: 'key-auth', route: { name: 'root' } }, { ctx })
      if (chosen.includes('rate-limiting'))
        await db
          .dao('plugins')
          .insert({ name: 'rate-limiting', route: { name: 'root' }, config: { minute: 1e9 } }, { ctx })
      for (let i = 0; i < 100; i++) {
        const consumer = await db.dao('consumers').insert({ username: `bench-${i}` }, { ctx })
        await db
          .dao('keyauth_credentials')
          .insert({ key: `bench-key-${i}`, consumer: { id: consumer.id } }, { ctx })
      }
    }
    return
  }
  // hosts + prefix paths, 10% regex paths; the benchmark requests hit route #(routes/2).
  for (let i = 0; i < routes; i++) {
    const paths = i % 10 === 9 ? [`~/api/v\\d+/res${i}/(?<id>\\d+)$`] : [`/api/v${i % 7}/res${i}`]
    await db
      .dao('routes')
      .insert({ hosts: [`host${i}.bench.test`], paths, service: { name: 'bench' } }, { ctx })
  }
})
await strategy.close()
