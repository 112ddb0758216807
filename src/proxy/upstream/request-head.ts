// Serialization of the request head. The engine owns message framing: Content-Length and
// Transfer-Encoding from the caller are replaced by what the body actually is (proxying.md §5:
// "Transfer-Encoding/Content-Length are regenerated for the upstream leg").
import type { Readable } from 'node:stream'
import { isToken, listElements, nameIs, parseContentLength } from './header-syntax.js'

/** What serializeHead() learned from the headers, written into the caller's object (no allocation). */
export interface HeadFacts {
  /** The request carries `Connection: close`: the connection is not reused afterwards. */
  connectionClose: boolean
  /** Readable body: the caller's Content-Length (fixed-length stream), or -1 (sent chunked). */
  streamLength: number
}

/** The request target may not contain whitespace or control characters, nor anything beyond latin1. */
const INVALID_TARGET = /[^\x21-\x7e\x80-\xff]/
/** Methods for which an absent body is announced as `Content-Length: 0` (as undici and curl do). */
const PAYLOAD_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'QUERY'])

export class InvalidRequestError extends Error {}

/**
 * Builds "METHOD target HTTP/1.1" + headers + framing + empty line, as a latin1 string. Throws
 * InvalidRequestError for a method, target or header that would corrupt the request line or head
 * (CR/LF injection, characters beyond latin1).
 */
export function serializeHead(
  method: string,
  target: string,
  headers: readonly string[],
  body: null | Buffer | Readable,
  facts: HeadFacts,
): string {
  if (!isToken(method, 0, method.length)) throw new InvalidRequestError(`invalid method: ${method}`)
  if (target.length === 0 || INVALID_TARGET.test(target))
    throw new InvalidRequestError('invalid request target')
  let head = `${method} ${target} HTTP/1.1\r\n`
  let callerLength = -1
  facts.connectionClose = false
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]
    const value = headers[i + 1]
    if (!isToken(name, 0, name.length) || !isFieldValue(value)) {
      throw new InvalidRequestError(`invalid header: ${JSON.stringify(name)}`)
    }
    // nameIs() compares lengths first: one integer comparison for most names.
    if (nameIs(name, 'content-length')) {
      callerLength = parseContentLength(value)
      if (callerLength === -1) throw new InvalidRequestError('invalid content-length')
      continue
    }
    if (nameIs(name, 'transfer-encoding')) continue
    if (nameIs(name, 'connection') && hasClose(value)) facts.connectionClose = true
    head += `${name}: ${value}\r\n`
  }
  facts.streamLength = -1
  if (body === null) {
    if (PAYLOAD_METHODS.has(method)) head += 'Content-Length: 0\r\n'
  } else if (Buffer.isBuffer(body)) {
    head += `Content-Length: ${body.length}\r\n`
  } else if (callerLength !== -1) {
    facts.streamLength = callerLength
    head += `Content-Length: ${callerLength}\r\n`
  } else {
    head += 'Transfer-Encoding: chunked\r\n'
  }
  return `${head}\r\n`
}

/**
 * RFC 9110 field-value characters (what Node's http client accepts too): HTAB, SP, VCHAR,
 * obs-text. Anything else — CR/LF above all, or characters beyond latin1, whose low byte would be
 * written — could split the head. A loop is cheaper than a regular expression for short values.
 */
function isFieldValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c < 0x20 ? c !== 0x09 : c === 0x7f || c > 0xff) return false
  }
  return true
}

function hasClose(v: string): boolean {
  return v === 'close' || listElements(v).includes('close')
}
