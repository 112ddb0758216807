// pre-function (plugins.md §6.21): runs the configured JavaScript functions in each phase, before
// every other plugin (PRIORITY 1000000). post-function is the same handler at PRIORITY -1000.
// The functions are compiled once per configuration (prepare) into the instance's own vm
// context; see sandbox.ts for how they run and docs/plugins/pre-function.md for what they can
// reach.
import type { PluginHandler } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfigOf, definePlugin, type PluginDefinition } from '../definition.js'
import { type CompiledPhases, compilePhases } from './sandbox.js'
import schema, { type serverlessSchema } from './schema.js'

type Schema = ReturnType<typeof serverlessSchema>

/** Both plugins' handler. There is no certificate phase on this node: that code is compiled only. */
export function serverlessHandler(
  name: string,
  priority: number,
): PluginHandler<CompiledPhases, ConfigOf<Schema>> {
  return {
    priority,
    version: KONG_COMPAT_VERSION,
    prepare(config): CompiledPhases {
      return compilePhases(name, config)
    },
    rewrite(conf, kong) {
      return conf.rewrite?.run(kong)
    },
    access(conf, kong) {
      return conf.access?.run(kong)
    },
    headerFilter(conf, kong) {
      conf.header_filter?.run(kong)
    },
    bodyFilter(conf, kong) {
      conf.body_filter?.run(kong)
    },
    log(conf, kong) {
      return conf.log?.run(kong)
    },
  }
}

export function serverlessPlugin(s: Schema, priority: number): PluginDefinition {
  return definePlugin(s, serverlessHandler(s.name, priority))
}

export default serverlessPlugin(schema, 1000000)
