// bot-detection (plugins.md §6.17): 403 for bad bots (the built-in list and `deny`), unless the
// User-Agent matches `allow`; 400 when a request carries several User-Agent headers.
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { Detector, Match } from './detect.js'
import schema from './schema.js'

export default definePlugin(schema, {
  priority: 2500,
  version: KONG_COMPAT_VERSION,
  prepare(config): Detector {
    return new Detector(config.allow, config.deny)
  },
  access(detector, kong) {
    const ua = kong.request.getHeaders()['user-agent']
    if (ua === undefined) return
    if (Array.isArray(ua)) {
      kong.response.error(400, 'Only one User-Agent header allowed')
      return
    }
    if (detector.examine(ua) > Match.Allow) kong.response.error(403)
  },
})
