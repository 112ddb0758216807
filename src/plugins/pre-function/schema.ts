// pre-function / post-function schema (plugins.md §6.21): one array of JavaScript function bodies
// per phase, each compiled when the configuration is validated (a syntax error is a schema
// violation of that element). At least one phase must have code.

import { nodeConf } from '../../conf/current.js'
import type { CustomValidator } from '../../db/schema/field.js'
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { ASYNC_PHASES, type PhaseName, parseError } from './sandbox.js'

/** Kong's refusal of code when the node runs with `untrusted_lua = off`. */
const UNTRUSTED_OFF =
  "Error parsing function: loading of untrusted Lua code disabled because 'untrusted_lua' config option is set to 'off'"

const DESCRIPTION =
  'Custom functions, which can be user-defined, are cached and executed sequentially during specific phases: `certificate`, `rewrite`, `access`, `header_filter`, `body_filter`, and `log`.'

function phaseFunctions(pluginName: string, phase: PhaseName) {
  const allowAsync = ASYNC_PHASES.has(phase)
  const validator = ((code: string) =>
    nodeConf()?.untrusted_lua === 'off'
      ? UNTRUSTED_OFF
      : parseError(pluginName, code, allowAsync)) as CustomValidator
  return f.array(f.string({ custom_validator: validator }), {
    required: true,
    default: [],
    description: DESCRIPTION,
  })
}

/** The schema of either serverless plugin (they differ only by name and priority). */
export function serverlessSchema<const N extends string>(name: N) {
  return pluginSchema({
    name,
    protocols: typedefs.protocols,
    config: {
      certificate: phaseFunctions(name, 'certificate'),
      rewrite: phaseFunctions(name, 'rewrite'),
      access: phaseFunctions(name, 'access'),
      header_filter: phaseFunctions(name, 'header_filter'),
      body_filter: phaseFunctions(name, 'body_filter'),
      log: phaseFunctions(name, 'log'),
    },
    entityChecks: [
      {
        at_least_one_of: [
          'config.certificate',
          'config.rewrite',
          'config.access',
          'config.header_filter',
          'config.body_filter',
          'config.log',
        ],
      },
    ],
  })
}

export default serverlessSchema('pre-function')
