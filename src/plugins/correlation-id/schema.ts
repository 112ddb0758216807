// correlation-id: tag each request with an id in a header, upstream and optionally downstream.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export const GENERATORS = ['uuid', 'uuid#counter', 'tracker'] as const

export default pluginSchema({
  name: 'correlation-id',
  protocols: typedefs.protocolsHttp,
  config: {
    header_name: f.string({
      default: 'Kong-Request-ID',
      description: 'The HTTP header name to use for the correlation ID.',
    }),
    generator: f.string({
      required: true,
      default: 'uuid#counter',
      one_of: GENERATORS,
      description:
        'The generator to use for the correlation ID. Accepted values are `uuid`, `uuid#counter`, and `tracker`.',
    }),
    echo_downstream: f.boolean({
      required: true,
      default: false,
      description: 'Whether to echo the header back to downstream (the client).',
    }),
  },
})
