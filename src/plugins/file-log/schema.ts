// file-log: one JSON log entry per request, appended to a file.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { customFieldsByLua } from '../shared/logging.js'

export default pluginSchema({
  name: 'file-log',
  protocols: typedefs.protocols,
  config: {
    path: f.string({
      required: true,
      // Kong's pattern: no `*`, `&`, `%` or backquote
      match: /^[^*&%`]+$/,
      err: 'not a valid filename',
      description:
        "The file path of the output log file. The plugin creates the log file if it doesn't exist yet.",
    }),
    reopen: f.boolean({
      required: true,
      default: false,
      description: 'Determines whether the log file is closed and reopened on every request.',
    }),
    custom_fields_by_lua: customFieldsByLua,
  },
})
