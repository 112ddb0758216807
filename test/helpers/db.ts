// A real SQLite store in a temporary directory, bootstrapped, for DAO-level tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DB } from '../../src/db/dao/db.js'
import { createDB, createStrategy, migrationNamespaces } from '../../src/db/index.js'
import { bootstrap } from '../../src/db/migrations/runner.js'
import { PluginRegistry } from '../../src/plugins/registry.js'

export interface TestDb {
  db: DB
  dir: string
  close(): Promise<void>
}

export async function openTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(join(tmpdir(), 'silverback-db-'))
  const strategy = createStrategy({ database: 'sqlite', sqlite_path: join(dir, 'test.db') })
  const { registry } = PluginRegistry.fromSetting(['bundled'])
  await bootstrap(strategy, migrationNamespaces(registry), () => undefined)
  const db = createDB(strategy, registry)
  return {
    db,
    dir,
    async close() {
      await strategy.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
