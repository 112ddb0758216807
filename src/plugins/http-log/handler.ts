// http-log (plugins.md §6.19): each request's log entry (kong.log.serialize(), as JSON) goes on
// the instance's queue in the log phase; the queue sends batches to `http_endpoint` with retries
// and back-off (shared/queue.ts). Instances with the same log server parameters share a queue.
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfigOf, definePlugin } from '../definition.js'
import { type PluginQueue, pluginQueue, warnLegacy } from '../shared/logging.js'
import { enqueue } from '../shared/queue.js'
import schema from './schema.js'
import { send, type Target, targetFor } from './sender.js'

interface Conf {
  queue: PluginQueue
  target: Target
}

type Config = ConfigOf<typeof schema> & { __plugin_id?: string; plugin_instance_name?: string | null }

/** Lua's tostring of a configuration value in the queue name (`nil` for null). */
const str = (v: unknown) => (v === null || v === undefined ? 'nil' : String(v))

const sendBatch = (conf: Conf, entries: string[]) => send(conf.target, entries)

export default definePlugin(schema, {
  priority: 12,
  version: KONG_COMPAT_VERSION,
  prepare(config: Config): Conf {
    // Kong names the queue after the legacy log server parameters, so that instances sending to
    // the same server with the same settings share one (the queue settings are not part of it).
    const name = [
      config.http_endpoint,
      config.method,
      config.content_type,
      config.timeout,
      config.keepalive,
      config.retry_count,
    ]
      .map(str)
      .join(':')
    const queue = pluginQueue('http-log', config, name)
    return { queue, target: targetFor(config, queue.params.max_batch_size === 1) }
  },
  log(conf, kong) {
    warnLegacy(kong, conf.queue)
    const err = enqueue(conf.queue.params, sendBatch, conf, JSON.stringify(kong.log.serialize()))
    if (err !== null) kong.log.err('Failed to enqueue log entry to log server: ', err)
  },
})
