// request-size-limiting (plugins.md §6.12): a body larger than the limit ends the request with
// `413 Request size limit exceeded` (417 when the client sent `Expect: 100-continue`). The size
// is the Content-Length when there is one; otherwise the body is read and counted as it streams,
// and the request is refused as soon as the count passes the limit (the rest is not kept).
import { BodyTooLargeError } from '../../pdk/body.js'
import type { Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import schema from './schema.js'

export const UNIT_BYTES: Readonly<Record<string, number>> = {
  bytes: 1,
  kilobytes: 1024,
  megabytes: 1048576,
}

const MESSAGE = 'Request size limit exceeded'

interface Conf {
  /** The limit in bytes. */
  allowed: number
  requireContentLength: boolean
}

/** Content-Length as a number, or null when absent or not a number (Lua `tonumber`). */
export function contentLength(value: string | null): number | null {
  if (value === null || value.trim() === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

function reject(kong: Kong): void {
  const expect = kong.request.getHeader('expect')
  kong.response.error(expect !== null && expect.trim().toLowerCase() === '100-continue' ? 417 : 413, MESSAGE)
}

async function readAndCheck(conf: Conf, kong: Kong): Promise<void> {
  let size: number
  try {
    size = (await kong.request.getRawBody(Math.max(conf.allowed, 0))).length
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err
    reject(kong)
    return
  }
  if (size > conf.allowed) reject(kong)
}

export default definePlugin(schema, {
  priority: 951,
  version: KONG_COMPAT_VERSION,
  prepare(config): Conf {
    return {
      allowed: (config.allowed_payload_size ?? 128) * (UNIT_BYTES[config.size_unit] ?? UNIT_BYTES.megabytes),
      requireContentLength: config.require_content_length,
    }
  },
  access(conf, kong) {
    const cl = contentLength(kong.request.getHeader('content-length'))
    if (cl !== null) {
      if (cl > conf.allowed) reject(kong)
      return
    }
    if (conf.requireContentLength && kong.request.getHeader('transfer-encoding') !== 'chunked') {
      kong.response.error(411, 'A valid Content-Length header is required')
      return
    }
    return readAndCheck(conf, kong)
  },
})
