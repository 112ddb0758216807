// Versioned migrations, Kong's way: per namespace (`core`, then plugins), each migration has an
// `up` part (non-destructive, run by `migrations up`) and optionally a `teardown` part (run by
// `migrations finish`). `bootstrap` runs everything on an empty store.
import type { Migration, MigrationNamespace, Strategy } from '../strategies/strategy.js'

export const NEEDS_BOOTSTRAP_MSG =
  'Database needs bootstrapping or is older than Kong 1.0.\n\n' +
  "To start a new installation from scratch, run 'kong migrations bootstrap'.\n\n" +
  'To migrate from a version older than 1.0, migrated to Kong 1.5.0 first. \n' +
  "If you still have 'apis' entities, you can convert them to Routes and Services\n" +
  "using the 'kong migrations migrate-apis' command in Kong 1.5.0.\n\n"

export interface NamespaceMigrations {
  namespace: string
  migrations: string[]
}

export interface SchemaState {
  needs_bootstrap: boolean
  executed_migrations: NamespaceMigrations[] | null
  pending_migrations: NamespaceMigrations[] | null
  new_migrations: NamespaceMigrations[] | null
  missing_migrations: NamespaceMigrations[] | null
}

type Log = (line: string) => void

function nonEmpty(list: NamespaceMigrations[]): NamespaceMigrations[] | null {
  const kept = list.filter((n) => n.migrations.length > 0)
  return kept.length > 0 ? kept : null
}

export async function schemaState(
  strategy: Strategy,
  namespaces: readonly MigrationNamespace[],
): Promise<SchemaState> {
  const raw = await strategy.migrationState()
  if (raw.needsBootstrap) {
    return {
      needs_bootstrap: true,
      executed_migrations: null,
      pending_migrations: null,
      new_migrations: nonEmpty(
        namespaces.map((n) => ({ namespace: n.name, migrations: n.migrations.map((m) => m.name) })),
      ),
      missing_migrations: null,
    }
  }
  const executed: NamespaceMigrations[] = []
  const pending: NamespaceMigrations[] = []
  const fresh: NamespaceMigrations[] = []
  const missing: NamespaceMigrations[] = []
  for (const ns of namespaces) {
    const done = raw.executed[ns.name] ?? []
    const waiting = raw.pending[ns.name] ?? []
    const known = new Set(ns.migrations.map((m) => m.name))
    executed.push({ namespace: ns.name, migrations: done.filter((m) => known.has(m)) })
    pending.push({ namespace: ns.name, migrations: waiting.filter((m) => known.has(m)) })
    fresh.push({
      namespace: ns.name,
      migrations: ns.migrations.map((m) => m.name).filter((m) => !done.includes(m) && !waiting.includes(m)),
    })
    missing.push({ namespace: ns.name, migrations: [...done, ...waiting].filter((m) => !known.has(m)) })
  }
  return {
    needs_bootstrap: false,
    executed_migrations: nonEmpty(executed),
    pending_migrations: nonEmpty(pending),
    new_migrations: nonEmpty(fresh),
    missing_migrations: nonEmpty(missing),
  }
}

export function isUpToDate(state: SchemaState): boolean {
  return !state.needs_bootstrap && !state.new_migrations && !state.pending_migrations
}

/** Kong's listing: one line per namespace, names right-aligned to the longest namespace. */
export function formatMigrations(list: NamespaceMigrations[]): string {
  const width = Math.max(...list.map((n) => n.namespace.length))
  return list.map((n) => `${n.namespace.padStart(width)}: ${n.migrations.join(', ')}`).join('\n')
}

function find(namespaces: readonly MigrationNamespace[], ns: string, name: string): Migration {
  const m = namespaces.find((n) => n.name === ns)?.migrations.find((x) => x.name === name)
  if (!m) throw new Error(`unknown migration ${ns}/${name}`)
  return m
}

async function run(
  strategy: Strategy,
  namespaces: readonly MigrationNamespace[],
  list: NamespaceMigrations[],
  opts: { up: boolean; teardown: boolean },
  log: Log,
): Promise<void> {
  let processed = 0
  let pending = 0
  for (const ns of list) {
    log(`migrating ${ns.namespace} on ${strategy.name} database...`)
    for (const name of ns.migrations) {
      const m = find(namespaces, ns.namespace, name)
      const hasTeardown = Boolean(m[strategy.name as 'sqlite' | 'postgres']?.teardown)
      if (opts.up) await strategy.runMigration(ns.namespace, m, 'up')
      if (opts.teardown && hasTeardown) await strategy.runMigration(ns.namespace, m, 'teardown')
      const isPending = hasTeardown && !opts.teardown
      if (isPending) pending++
      log(`${ns.namespace} migrated up to: ${name} ${isPending ? '(pending)' : '(executed)'}`)
      processed++
    }
  }
  log(`${processed} migration${processed > 1 ? 's' : ''} processed`)
  if (processed - pending > 0) log(`${processed - pending} executed`)
  if (pending > 0) log(`${pending} pending`)
}

/** Printed when another node holds the migrations lock (Kong's message). */
export const NOT_LEADER_MSG = 'aborted: another node is performing database changes'

/** Seconds `up` waits for another node's migrations by default (`--lock-timeout`). */
export const DEFAULT_LOCK_TIMEOUT = 60

/**
 * Returns false when the store was already bootstrapped, or another node is bootstrapping it
 * (which is not waited for).
 */
export async function bootstrap(
  strategy: Strategy,
  namespaces: readonly MigrationNamespace[],
  log: Log,
): Promise<boolean> {
  const state = await schemaState(strategy, namespaces)
  if (!state.needs_bootstrap) {
    log('Database already bootstrapped')
    return false
  }
  const r = await strategy.withMigrationLock(0, async () => {
    // another node may have bootstrapped it in the meantime
    const now = await schemaState(strategy, namespaces)
    if (!now.needs_bootstrap) {
      log('Database already bootstrapped')
      return false
    }
    log('Bootstrapping database...')
    await strategy.bootstrap()
    await run(strategy, namespaces, now.new_migrations ?? [], { up: true, teardown: true }, log)
    log('Database is up-to-date')
    return true
  })
  if (!r.acquired) log(NOT_LEADER_MSG)
  return r.acquired && r.value
}

export interface UpOptions {
  /** Re-run (`--force`) even with pending migrations. */
  force?: boolean
  /** Seconds to wait for another node's migrations (`--lock-timeout`). */
  lockTimeout?: number
}

/** Returns false when another node held the migrations lock (it ran them). */
export async function up(
  strategy: Strategy,
  namespaces: readonly MigrationNamespace[],
  log: Log,
  opts: UpOptions = {},
): Promise<boolean> {
  const state = await schemaState(strategy, namespaces)
  if (state.needs_bootstrap) throw new Error(`Cannot run migrations: ${NEEDS_BOOTSTRAP_MSG}`)
  if (!opts.force && state.pending_migrations)
    throw new Error("Database has pending migrations; run 'kong migrations finish'")
  const r = await strategy.withMigrationLock(opts.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, async () => {
    // what another node did while this one waited counts
    const now = await schemaState(strategy, namespaces)
    if (!opts.force && now.pending_migrations)
      throw new Error("Database has pending migrations; run 'kong migrations finish'")
    if (!now.new_migrations) {
      log('Database is already up-to-date')
      return
    }
    await run(strategy, namespaces, now.new_migrations, { up: true, teardown: false }, log)
    const after = await schemaState(strategy, namespaces)
    if (after.pending_migrations)
      log("\nDatabase has pending migrations; run 'kong migrations finish' when ready")
  })
  if (!r.acquired) log(NOT_LEADER_MSG)
  return r.acquired
}

/** Returns false when another node held the migrations lock (not waited for). */
export async function finish(
  strategy: Strategy,
  namespaces: readonly MigrationNamespace[],
  log: Log,
): Promise<boolean> {
  const state = await schemaState(strategy, namespaces)
  if (state.needs_bootstrap) throw new Error(`Cannot run migrations: ${NEEDS_BOOTSTRAP_MSG}`)
  const r = await strategy.withMigrationLock(0, async () => {
    const now = await schemaState(strategy, namespaces)
    if (now.pending_migrations) {
      await run(strategy, namespaces, now.pending_migrations, { up: false, teardown: true }, log)
    }
    const after = await schemaState(strategy, namespaces)
    if (after.new_migrations) {
      log("\nNew migrations available; run 'kong migrations up' to proceed")
      return
    }
    if (!now.pending_migrations) log('No pending migrations to finish')
  })
  if (!r.acquired) log(NOT_LEADER_MSG)
  return r.acquired
}

/** Returns false when there was nothing to reset, or another node held the migrations lock. */
export async function reset(
  strategy: Strategy,
  namespaces: readonly MigrationNamespace[],
  log: Log,
): Promise<boolean> {
  const state = await schemaState(strategy, namespaces)
  if (state.needs_bootstrap) {
    log('Database not bootstrapped, nothing to reset')
    return false
  }
  const r = await strategy.withMigrationLock(0, async () => {
    log('Resetting database...')
    await strategy.reset()
    log('Database successfully reset')
  })
  if (!r.acquired) log(NOT_LEADER_MSG)
  return r.acquired
}
