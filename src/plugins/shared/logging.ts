// Configuration pieces shared by the logging plugins (plugins.md §6.19): Kong's `queue` record,
// the deprecated flat queue fields, `custom_fields_by_lua`, and the queue parameters a plugin
// instance's configuration gives (Kong's Queue.get_plugin_params).
import { f } from '../../db/schema/field.js'
import type { Kong } from '../../pdk/types.js'
import type { QueueParams } from './queue.js'

/**
 * `custom_fields_by_lua` (Kong's `typedefs.lua_code`): a map of log entry field → Lua code whose
 * result is set as that field. Silverback runs no Lua, and does not pretend to: the field is
 * accepted empty (or null) and refused with values, rather than logging something else than
 * what the code would have computed.
 */
export const customFieldsByLua = f.map(
  f.string({ len_min: 1 }),
  f.string({
    len_min: 1,
    custom_validator: () => 'custom_fields_by_lua is not supported by Silverback (it cannot run Lua code)',
  }),
  { description: 'Lua code as a key-value map' },
)

/** Kong's `typedefs.queue`. */
export const queueConfig = f.record({
  max_batch_size: f.integer({
    default: 1,
    between: [1, 1000000],
    description: 'Maximum number of entries that can be processed at a time.',
  }),
  max_coalescing_delay: f.number({
    default: 1,
    between: [0, 3600],
    description:
      'Maximum number of (fractional) seconds to elapse after the first entry was queued before the queue starts calling the handler.',
  }),
  max_entries: f.integer({
    default: 10000,
    between: [1, 1000000],
    description: 'Maximum number of entries that can be waiting on the queue.',
  }),
  max_bytes: f.integer({
    description: 'Maximum number of bytes that can be waiting on a queue, requires string content.',
  }),
  max_retry_time: f.number({
    default: 60,
    description: 'Time in seconds before the queue gives up calling a failed handler for a batch.',
  }),
  initial_retry_delay: f.number({
    default: 0.01,
    between: [0.001, 1000000],
    description: 'Time in seconds before the initial retry is made for a failing batch.',
  }),
  max_retry_delay: f.number({
    default: 60,
    between: [0.001, 1000000],
    description: 'Maximum time in seconds between retries, caps exponential backoff.',
  }),
  concurrency_limit: f.integer({
    default: 1,
    one_of: [-1, 1],
    description: 'The number of of queue delivery timers. -1 indicates unlimited.',
  }),
})

/** The flat queue fields of Kong 2.x, still accepted (and stored) by http-log and statsd. */
export function legacyQueueFields(plugin: string) {
  return {
    retry_count: f.integer({
      deprecation: {
        message: `${plugin}: config.retry_count no longer works, please use config.queue.max_retry_time instead`,
        removal_in_version: '4.0',
        old_default: 10,
      },
    }),
    queue_size: f.integer({
      deprecation: {
        message: `${plugin}: config.queue_size is deprecated, please use config.queue.max_batch_size instead`,
        removal_in_version: '4.0',
        old_default: 1,
      },
    }),
    flush_timeout: f.number({
      deprecation: {
        message: `${plugin}: config.flush_timeout is deprecated, please use config.queue.max_coalescing_delay instead`,
        removal_in_version: '4.0',
        old_default: 2,
      },
    }),
  }
}

/** The configuration keys queueParams reads. */
export interface QueueConfigInput {
  queue?: Record<string, unknown> | null
  retry_count?: number | null
  queue_size?: number | null
  flush_timeout?: number | null
  plugin_instance_name?: string | null
  __plugin_id?: string
}

export interface PluginQueue {
  params: QueueParams
  /** Warnings about the legacy fields in use, logged (at most once a minute) when entries come. */
  warnings: string[]
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback)

/**
 * The queue parameters of a plugin instance: its `queue` record, with the legacy `queue_size`
 * and `flush_timeout` taking over when set to something else than their old defaults.
 */
export function pluginQueue(plugin: string, config: QueueConfigInput, queueName?: string): PluginQueue {
  const q = config.queue ?? {}
  const id = config.__plugin_id ?? ''
  let logTag = `${plugin} plugin ${id}`
  if (config.plugin_instance_name) logTag += ` (${config.plugin_instance_name})`
  const params: QueueParams = {
    name: typeof q.name === 'string' ? q.name : (queueName ?? id),
    logTag,
    max_batch_size: num(q.max_batch_size, 1),
    max_coalescing_delay: num(q.max_coalescing_delay, 1),
    max_entries: num(q.max_entries, 10000),
    max_bytes: typeof q.max_bytes === 'number' ? q.max_bytes : null,
    max_retry_time: num(q.max_retry_time, 60),
    initial_retry_delay: num(q.initial_retry_delay, 0.01),
    max_retry_delay: num(q.max_retry_delay, 60),
    concurrency_limit: num(q.concurrency_limit, 1),
  }
  const warnings: string[] = []
  if (typeof config.retry_count === 'number' && config.retry_count !== 10)
    warnings.push(
      'the retry_count parameter no longer works, please update your configuration to use initial_retry_delay and max_retry_time instead',
    )
  if (typeof config.queue_size === 'number' && config.queue_size !== 1) {
    // a batch holds at least one entry
    params.max_batch_size = Math.max(1, config.queue_size)
    warnings.push(
      'the queue_size parameter is deprecated, please update your configuration to use queue.max_batch_size instead',
    )
  }
  if (typeof config.flush_timeout === 'number' && config.flush_timeout !== 2) {
    params.max_coalescing_delay = config.flush_timeout
    warnings.push(
      'the flush_timeout parameter is deprecated, please update your configuration to use queue.max_coalescing_delay instead',
    )
  }
  return { params, warnings }
}

const MIN_WARNING_INTERVAL_MS = 60_000
const warnedAt = new Map<string, number>()

/** Logs the legacy-field warnings of a queue, each at most once a minute. */
export function warnLegacy(kong: Kong, queue: PluginQueue): void {
  if (queue.warnings.length === 0) return
  const t = Date.now()
  for (const message of queue.warnings) {
    const key = `${queue.params.name}/${message}`
    if (t - (warnedAt.get(key) ?? 0) < MIN_WARNING_INTERVAL_MS) continue
    if (warnedAt.size > 10_000) warnedAt.clear()
    warnedAt.set(key, t)
    kong.log.warn(message)
  }
}
