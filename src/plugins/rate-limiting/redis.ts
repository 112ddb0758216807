// rate-limiting's `redis` policy: the counters live in a Redis shared by every node.
//
// One client per worker process and distinct connection settings, created on first use and kept
// (closed after 10 idle minutes). A request costs one round trip: a Lua script (EVALSHA) that
// reads every window's counter and, only if all have room, increments them all and sets their
// expiry, so the check and the count are one atomic step on the Redis server: requests arriving
// on any number of nodes can never overshoot a limit, and a refused request is not counted.
//
// sync_rate > 0: a worker counts locally between synchronizations. The first request for a
// counter asks Redis as above; later ones are answered from the worker's copy (no round trip),
// and every `sync_rate` seconds the worker adds what it counted to Redis and reads back the
// totals (one script for all its counters). Other workers' and nodes' requests are seen at the
// next synchronization, so a limit may be exceeded by what they admitted since their last one.
//
// Every wait is bounded by the `timeout` setting (connect and command); a Redis known to be
// unreachable fails the request at once rather than queueing it.
import { createHash } from 'node:crypto'
import { Redis } from 'ioredis'
import { weightedCount } from '../../cluster/counters.js'

export interface RedisSettings {
  host: string
  port: number
  database: number
  username: string | null
  password: string | null
  ssl: boolean
  ssl_verify: boolean
  server_name: string | null
  /** Connect and command timeout, ms. */
  timeout: number
}

/** One check-and-count: the counters of the current windows (and their previous windows). */
export interface RedisTake {
  keys: readonly string[]
  limits: readonly number[]
  /** Seconds each counter lives after its creation. */
  ttls: readonly number[]
  previous?: { keys: readonly string[]; weights: readonly number[] }
}

export interface RedisAnswer {
  allowed: boolean
  usage: number[]
  previous?: number[]
}

// KEYS: the n current-window counters, then (sliding) their n previous-window counters.
// ARGV: n, sliding (1/0), n limits, n ttls (ms), then (sliding) n weights.
// Returns {allowed, n usages before this request, (sliding) n previous-window values}. A usage
// counts the previous window as ceil(previous × weight - 1e-9), as weightedCount does.
const TAKE = `
local n = tonumber(ARGV[1])
local sliding = ARGV[2] == '1'
local out = {1}
for i = 1, n do
  local usage = tonumber(redis.call('GET', KEYS[i]) or '0')
  if sliding then
    local previous = tonumber(redis.call('GET', KEYS[n + i]) or '0')
    local weight = tonumber(ARGV[2 + 2 * n + i])
    if previous > 0 and weight > 0 then usage = usage + math.ceil(previous * weight - 1e-9) end
    out[1 + n + i] = previous
  end
  out[1 + i] = usage
  if tonumber(ARGV[2 + i]) - usage <= 0 then out[1] = 0 end
end
if out[1] == 1 then
  for i = 1, n do
    redis.call('INCRBY', KEYS[i], 1)
    if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2 + n + i]) end
  end
end
return out
`

// KEYS: counters; ARGV: one increment per counter (0 to only read it), then one ttl (ms) each.
// Returns the counters' new values.
const ADD = `
local n = #KEYS
local out = {}
for i = 1, n do
  out[i] = redis.call('INCRBY', KEYS[i], ARGV[i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
end
return out
`

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex')
const TAKE_SHA = sha1(TAKE)
const ADD_SHA = sha1(ADD)

/** Clients unused for this long are closed. */
const IDLE_MS = 10 * 60_000
/** Counters synchronized by one script call at most. */
const ADD_CHUNK = 500

class RedisClient {
  readonly redis: Redis
  lastUsed = Date.now()
  private lastError: string | null = null
  private readonly where: string

  constructor(private readonly settings: RedisSettings) {
    const s = settings
    this.where = `${s.host}:${s.port}`
    this.redis = new Redis({
      host: s.host,
      port: s.port,
      db: s.database,
      username: s.username ?? undefined,
      password: s.password ?? undefined,
      tls: s.ssl ? { rejectUnauthorized: s.ssl_verify, servername: s.server_name ?? s.host } : undefined,
      lazyConnect: true,
      connectTimeout: s.timeout,
      commandTimeout: s.timeout,
      enableReadyCheck: false,
      // a command waits for at most one connection attempt: requests are not held while Redis is away
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    })
    // (connection errors also fail the commands that needed the connection: the requests report them)
    this.redis.on('error', (err: Error) => {
      this.lastError = err.message
    })
    this.redis.on('ready', () => {
      this.lastError = null
    })
  }

  /** Runs a script by its SHA-1, loading it on a server that does not know it yet. */
  async script(source: string, sha: string, keys: readonly string[], args: readonly (string | number)[]) {
    this.lastUsed = Date.now()
    const status = this.redis.status
    if ((status === 'reconnecting' || status === 'close') && this.lastError !== null) {
      throw new Error(`could not reach Redis at ${this.where}: ${this.lastError}`)
    }
    return this.bounded(async () => {
      try {
        return await this.redis.evalsha(sha, keys.length, ...keys, ...args)
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
        return this.redis.eval(source, keys.length, ...keys, ...args)
      }
    })
  }

  /** Rejects after the timeout whatever the client does; explains ioredis' retry error. */
  private bounded<T>(run: () => Promise<T>): Promise<T> {
    const timeout = this.settings.timeout
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const message = `Redis at ${this.where} did not answer within ${timeout} ms`
        // as Kong closes a timed-out connection: commands stuck behind this one fail too (a
        // server that never answers must not make them pile up), and the client reconnects
        this.lastError = message
        this.redis.disconnect(true)
        reject(new Error(message))
      }, timeout)
      run().then(
        (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        (err: unknown) => {
          clearTimeout(timer)
          const message = err instanceof Error ? err.message : String(err)
          if (/max retries per request|Connection is closed/i.test(message)) {
            reject(new Error(`could not reach Redis at ${this.where}: ${this.lastError ?? message}`))
          } else reject(err instanceof Error ? err : new Error(message))
        },
      )
    })
  }

  /** Realtime check-and-count (see TAKE). */
  async take(op: RedisTake): Promise<RedisAnswer> {
    const n = op.keys.length
    const prev = op.previous
    const keys = prev === undefined ? op.keys : [...op.keys, ...prev.keys]
    const args: (string | number)[] = [n, prev === undefined ? 0 : 1, ...op.limits]
    for (const ttl of op.ttls) args.push(ttl * 1000)
    if (prev !== undefined) for (const w of prev.weights) args.push(String(w))
    const out = (await this.script(TAKE, TAKE_SHA, keys, args)) as number[]
    const answer: RedisAnswer = { allowed: out[0] === 1, usage: out.slice(1, 1 + n).map(Number) }
    if (prev !== undefined) answer.previous = out.slice(1 + n, 1 + 2 * n).map(Number)
    return answer
  }

  /** Adds `deltas` to counters and reads back their totals (see ADD). */
  async add(keys: readonly string[], deltas: readonly number[], ttls: readonly number[]): Promise<number[]> {
    const out = (await this.script(ADD, ADD_SHA, keys, [...deltas, ...ttls.map((t) => t * 1000)])) as number[]
    return out.map(Number)
  }

  close(): void {
    this.redis.disconnect()
  }
}

/** A worker's copy of counters between synchronizations (sync_rate > 0). */
interface Entry {
  /** The total in Redis at the last synchronization. */
  value: number
  /** Counted here since, not yet added to Redis. */
  delta: number
  /** Seconds the counter lives in Redis. */
  ttl: number
  /** Dropped from the copy after this (ms). */
  until: number
}

class SyncedCounters {
  private readonly entries = new Map<string, Entry>()
  private timer: NodeJS.Timeout | null = null
  private syncing = false
  /** The last synchronization's failure, until a request reports it. */
  private failure: string | null = null
  lastUsed = Date.now()

  constructor(
    private readonly client: RedisClient,
    /** The client's key in `clients` (a client in use here is never closed as idle). */
    readonly clientKey: string,
    private readonly intervalMs: number,
  ) {}

  /** Answered from the copy when it holds every counter; otherwise by Redis (which seeds it). */
  take(op: RedisTake, now: number): RedisAnswer | Promise<RedisAnswer> {
    this.lastUsed = now
    const n = op.keys.length
    const prev = op.previous
    let known = true
    for (let i = 0; i < n && known; i++) {
      known = this.fresh(op.keys[i], now) && (prev === undefined || this.fresh(prev.keys[i], now))
    }
    if (!known) return this.client.take(op).then((answer) => this.seed(op, answer, now))
    const usage = new Array<number>(n)
    const previous = prev === undefined ? undefined : new Array<number>(n)
    let allowed = true
    for (let i = 0; i < n; i++) {
      const e = this.entries.get(op.keys[i])!
      usage[i] = e.value + e.delta
      if (previous !== undefined && prev !== undefined) {
        const p = this.entries.get(prev.keys[i])!
        previous[i] = p.value + p.delta
        usage[i] += weightedCount(previous[i], prev.weights[i])
      }
      if (op.limits[i] - usage[i] <= 0) allowed = false
    }
    if (allowed) {
      for (const key of op.keys) this.entries.get(key)!.delta++
      this.schedule()
    }
    return previous === undefined ? { allowed, usage } : { allowed, usage, previous }
  }

  /** The last synchronization failure, once. */
  takeFailure(): string | null {
    const f = this.failure
    this.failure = null
    return f
  }

  private fresh(key: string, now: number): boolean {
    const e = this.entries.get(key)
    return e !== undefined && e.until > now
  }

  private seed(op: RedisTake, answer: RedisAnswer, now: number): RedisAnswer {
    const prev = op.previous
    for (let i = 0; i < op.keys.length; i++) {
      let value = answer.usage[i]
      if (prev !== undefined && answer.previous !== undefined) {
        value -= weightedCount(answer.previous[i], prev.weights[i])
        this.learn(prev.keys[i], answer.previous[i], op.ttls[i], now)
      }
      this.learn(op.keys[i], answer.allowed ? value + 1 : value, op.ttls[i], now)
    }
    this.schedule()
    return answer
  }

  /** Redis said `key` is `value`: newer than what the copy holds unless smaller. */
  private learn(key: string, value: number, ttl: number, now: number): void {
    const e = this.entries.get(key)
    if (e === undefined || e.until <= now)
      this.entries.set(key, { value, delta: 0, ttl, until: now + ttl * 1000 })
    else e.value = Math.max(e.value, value)
  }

  private schedule(): void {
    if (this.timer !== null || this.syncing) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.sync()
    }, this.intervalMs)
    this.timer.unref()
  }

  /** Adds the local counts to Redis and reads back every counter's total. */
  async sync(): Promise<void> {
    this.syncing = true
    const now = Date.now()
    const keys: string[] = []
    const sent: number[] = []
    const ttls: number[] = []
    for (const [key, e] of this.entries) {
      if (e.until <= now && e.delta === 0) {
        this.entries.delete(key)
        continue
      }
      keys.push(key)
      sent.push(e.delta)
      ttls.push(e.ttl)
    }
    try {
      for (let from = 0; from < keys.length; from += ADD_CHUNK) {
        const to = Math.min(keys.length, from + ADD_CHUNK)
        const totals = await this.client.add(keys.slice(from, to), sent.slice(from, to), ttls.slice(from, to))
        for (let i = from; i < to; i++) {
          const e = this.entries.get(keys[i])
          if (e === undefined) continue
          e.delta -= sent[i]
          e.value = totals[i - from]
          if (e.until <= now && e.delta === 0) this.entries.delete(keys[i])
        }
      }
    } catch (err) {
      // what was counted stays in `delta`, for the next synchronization
      this.failure = `failed to synchronize counters with Redis: ${err instanceof Error ? err.message : String(err)}`
    } finally {
      this.syncing = false
    }
    if (this.entries.size > 0) this.schedule()
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }
}

const clients = new Map<string, RedisClient>()
const synced = new Map<string, SyncedCounters>()
let sweeper: NodeJS.Timeout | null = null

function clientKey(s: RedisSettings): string {
  return JSON.stringify([
    s.host,
    s.port,
    s.database,
    s.username,
    s.password,
    s.ssl,
    s.ssl_verify,
    s.server_name,
    s.timeout,
  ])
}

function sweep(): void {
  const now = Date.now()
  const inUse = new Set<string>()
  for (const [key, s] of synced) {
    if (now - s.lastUsed > IDLE_MS) {
      s.stop()
      synced.delete(key)
    } else inUse.add(s.clientKey)
  }
  for (const [key, c] of clients) {
    if (now - c.lastUsed > IDLE_MS && !inUse.has(key)) {
      c.close()
      clients.delete(key)
    }
  }
}

function clientFor(settings: RedisSettings, key: string): RedisClient {
  let c = clients.get(key)
  if (c === undefined) {
    c = new RedisClient(settings)
    clients.set(key, c)
    if (sweeper === null) {
      sweeper = setInterval(sweep, 60_000)
      sweeper.unref()
    }
  }
  return c
}

/** The counters of one Redis configuration and synchronization rate (-1: realtime). */
export class RedisCounters {
  private readonly key: string

  constructor(
    private readonly settings: RedisSettings,
    private readonly syncRate: number,
  ) {
    this.key = clientKey(settings)
  }

  take(op: RedisTake, now: number): RedisAnswer | Promise<RedisAnswer> {
    const client = clientFor(this.settings, this.key)
    if (this.syncRate <= 0) return client.take(op)
    const key = `${this.key}|${this.syncRate}`
    let s = synced.get(key)
    if (s === undefined) {
      s = new SyncedCounters(client, this.key, this.syncRate * 1000)
      synced.set(key, s)
    }
    return s.take(op, now)
  }

  /** A synchronization failure not reported yet (sync_rate > 0). */
  takeFailure(): string | null {
    if (this.syncRate <= 0) return null
    return synced.get(`${this.key}|${this.syncRate}`)?.takeFailure() ?? null
  }
}

/** Closes every client (tests). */
export function closeRedisClients(): void {
  for (const s of synced.values()) s.stop()
  synced.clear()
  for (const c of clients.values()) c.close()
  clients.clear()
  if (sweeper !== null) clearInterval(sweeper)
  sweeper = null
}
