// file-log (plugins.md §6.19): appends each request's log entry (kong.log.serialize()) as one
// JSON line to `path`, in the log phase. The write itself happens off the event loop (see
// writer.ts); several workers append to the same file safely.
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import schema from './schema.js'
import { lineFile } from './writer.js'

interface Conf {
  path: string
  reopen: boolean
}

export default definePlugin(schema, {
  priority: 9,
  version: KONG_COMPAT_VERSION,
  prepare: (config): Conf => ({ path: config.path, reopen: config.reopen === true }),
  log(conf, kong) {
    lineFile(conf.path).append(`${JSON.stringify(kong.log.serialize())}\n`, conf.reopen)
  },
})
