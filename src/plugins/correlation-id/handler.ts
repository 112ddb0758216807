// correlation-id (plugins.md §6.16): a request without the header (or with an empty one) gets a
// generated id, sent upstream; the id goes into the log entry (`correlation_id`) and, with
// `echo_downstream`, back to the client.
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { type Generator, generatorFor } from './generators.js'
import schema from './schema.js'

interface Conf {
  header: string
  generate: Generator
  echo: boolean
}

export default definePlugin(schema, {
  priority: 100001,
  version: KONG_COMPAT_VERSION,
  prepare(config): Conf {
    return {
      header: config.header_name ?? 'Kong-Request-ID',
      generate: generatorFor(config.generator),
      echo: config.echo_downstream,
    }
  },
  access(conf, kong) {
    let id = kong.request.getHeader(conf.header)
    if (id === null || id === '') {
      id = conf.generate(kong)
      kong.service.request.setHeader(conf.header, id)
    }
    kong.log.setSerializeValue('correlation_id', id)
    // Kept for header_filter, which runs even when a later plugin ended the request.
    if (conf.echo) kong.ctx.plugin.correlation_id = id
  },
  headerFilter(conf, kong) {
    if (!conf.echo) return
    let id = (kong.ctx.plugin.correlation_id as string | undefined) ?? kong.request.getHeader(conf.header)
    // Access did not run (the request ended before the plugin loop): make one now.
    if (id === null || id === '') id = conf.generate(kong)
    kong.response.setHeader(conf.header, id)
  },
})
