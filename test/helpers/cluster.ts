// Several real `silverback start` processes on one machine sharing one PostgreSQL schema (of the
// machine's database `test`), each on its own free ports and prefix: a cluster as deployed,
// minus the load balancer. `stop()` stops every node and drops the schema.
//
//   const cluster = await startCluster({ nodes: 3, env: { DB_UPDATE_FREQUENCY: '60' } })
//   await admin(cluster.nodes[0], 'POST', '/services', {...})
//   await send(`${cluster.nodes[1].proxy}/path`)
//   await cluster.stop()
import { spawnSync } from 'node:child_process'
import pg from 'pg'
import { runCli } from './cli.js'
import { type Gateway, type GatewayOptions, startGateway } from './gateway.js'

/** The machine's PostgreSQL (trust authentication). */
export const PG = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' }

export interface ClusterOptions {
  nodes: number
  /** KONG_* settings of every node (names without KONG_), e.g. { DB_UPDATE_FREQUENCY: '60' }. */
  env?: Record<string, string>
  /** Start the proxy of each node (default true). */
  proxy?: boolean
  /** Proxy workers per node (default 1). */
  workers?: number
  /** Run `migrations bootstrap` before starting the nodes (default true). */
  bootstrap?: boolean
  /** The schema's name starts with this (default `sb_cluster`); the rest makes it unique. */
  schemaPrefix?: string
}

export interface Cluster {
  nodes: Gateway[]
  /** The PostgreSQL schema the nodes share. */
  schema: string
  /** The settings every node has (names without KONG_). */
  env: Record<string, string>
  /** The same as KONG_* variables, for runCli. */
  kongEnv: Record<string, string>
  /**
   * Starts one more node on the same schema (`env` adds to or overrides the cluster's; `args`
   * follow `start`).
   */
  addNode(env?: Record<string, string>, args?: string[]): Promise<Gateway>
  /** Stops every node (still running) and drops the schema. */
  stop(): Promise<void>
}

let clusters = 0
const schemas = new Set<string>()
// a test that failed before stop(): its schema still goes (the nodes are killed by gateway.ts)
process.once('exit', () => {
  for (const schema of schemas) dropSchemaSync(schema)
})

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client(PG)
  await c.connect()
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
  } finally {
    await c.end()
  }
}

function dropSchemaSync(schema: string): void {
  spawnSync(
    'psql',
    ['-h', PG.host, '-U', PG.user, PG.database, '-qc', `DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`],
    {
      stdio: 'ignore',
    },
  )
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const schema = `${opts.schemaPrefix ?? 'sb_cluster'}_${process.pid}_${++clusters}_${Date.now()}`
  const env: Record<string, string> = {
    DATABASE: 'postgres',
    PG_HOST: PG.host,
    PG_PORT: String(PG.port),
    PG_DATABASE: PG.database,
    PG_USER: PG.user,
    PG_SCHEMA: schema,
    ...opts.env,
  }
  const kongEnv = (e: Record<string, string>) =>
    Object.fromEntries(Object.entries(e).map(([k, v]) => [`KONG_${k}`, v]))
  schemas.add(schema)
  const nodes: Gateway[] = []
  const gatewayOptions = (extra: Record<string, string> = {}, args: string[] = []): GatewayOptions => ({
    env: { ...env, ...extra },
    args,
    proxy: opts.proxy ?? true,
    workers: opts.workers ?? 1,
  })
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => null)))
    await dropSchema(schema)
    schemas.delete(schema)
  }
  try {
    if (opts.bootstrap ?? true) {
      const r = await runCli(['migrations', 'bootstrap'], kongEnv(env))
      if (r.code !== 0) throw new Error(`migrations bootstrap failed:\n${r.stdout}${r.stderr}`)
    }
    const started = await Promise.allSettled(
      Array.from({ length: opts.nodes }, () => startGateway(gatewayOptions())),
    )
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value)
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
  } catch (err) {
    await stop()
    throw err
  }
  return {
    nodes,
    schema,
    env,
    kongEnv: kongEnv(env),
    async addNode(extra, args) {
      const node = await startGateway(gatewayOptions(extra, args))
      nodes.push(node)
      return node
    },
    stop,
  }
}
