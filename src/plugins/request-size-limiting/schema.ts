// request-size-limiting: refuse request bodies larger than a configured size.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export const SIZE_UNITS = ['megabytes', 'kilobytes', 'bytes'] as const

export default pluginSchema({
  name: 'request-size-limiting',
  protocols: typedefs.protocolsHttp,
  config: {
    allowed_payload_size: f.integer({
      default: 128,
      description: 'Allowed request payload size in megabytes. Default is `128` megabytes (128000000 bytes).',
    }),
    size_unit: f.string({
      required: true,
      default: 'megabytes',
      one_of: SIZE_UNITS,
      description: 'Size unit can be set either in `bytes`, `kilobytes`, or `megabytes` (default).',
    }),
    require_content_length: f.boolean({
      required: true,
      default: false,
      description:
        'Set to `true` to ensure a valid `Content-Length` header exists before reading the request body.',
    }),
  },
})
