// bot-detection: reject requests from bots, by their User-Agent.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { validateRegex } from './regex.js'

// Kong's `is_regex` compiles PCRE; these patterns are PCRE too, so they are checked the same way.
const regex = f.string({ custom_validator: validateRegex })

export default pluginSchema({
  name: 'bot-detection',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    allow: f.array(regex, {
      default: [],
      description:
        'An array of regular expressions that should be allowed. The regular expressions will be checked against the `User-Agent` header.',
    }),
    deny: f.array(regex, {
      default: [],
      description:
        'An array of regular expressions that should be denied. The regular expressions will be checked against the `User-Agent` header.',
    }),
  },
})
