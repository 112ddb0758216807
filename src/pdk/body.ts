// Query strings and request bodies as the PDK reads and writes them: url-encoded arguments as
// Kong's tables (a repeated name becomes an array, a name without `=` is `true`), JSON, and
// multipart form data.
import { Readable } from 'node:stream'
import busboy from 'busboy'
import type { QueryTable, QueryValue, Row } from './types.js'

function decode(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s
  try {
    return decodeURIComponent(plus)
  } catch {
    return plus
  }
}

/** Parses `a=1&a=2&flag&e=` into `{a: ['1', '2'], flag: true, e: ''}` (at most `max` names). */
export function parseArgs(query: string, max = 100): QueryTable {
  const out: QueryTable = {}
  if (query === '') return out
  let count = 0
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = decode(eq === -1 ? part : part.slice(0, eq))
    const value: string | true = eq === -1 ? true : decode(part.slice(eq + 1))
    const prev = out[name]
    if (prev === undefined) {
      if (count >= max) continue
      count++
      out[name] = value
    } else if (Array.isArray(prev)) prev.push(value)
    else out[name] = [prev, value]
  }
  return out
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+')
}

/** Encodes a table as `a=1&a=2&flag`, names sorted (Kong's encode_args order is unspecified). */
export function encodeArgs(args: Readonly<Record<string, QueryValue | readonly (string | true)[]>>): string {
  const parts: string[] = []
  for (const name of Object.keys(args).sort()) {
    const v = args[name]
    const values = Array.isArray(v) ? v : [v]
    for (const x of values) parts.push(x === true ? encode(name) : `${encode(name)}=${encode(String(x))}`)
  }
  return parts.join('&')
}

export class BodyError extends Error {}

/** The client body is larger than the limit it was read with (`kong.request.getRawBody(max)`). */
export class BodyTooLargeError extends BodyError {}

/** The MIME type of a Content-Type value, lower-cased, without parameters. */
export function mimeOf(contentType: string | null | undefined): string {
  if (!contentType) return ''
  const semi = contentType.indexOf(';')
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
}

function parseMultipart(contentType: string, body: Buffer): Promise<Row> {
  return new Promise((resolve, reject) => {
    const out: Row = {}
    const add = (name: string, value: string): void => {
      const prev = out[name]
      if (prev === undefined) out[name] = value
      else if (Array.isArray(prev)) prev.push(value)
      else out[name] = [prev, value]
    }
    let bb: busboy.Busboy
    try {
      bb = busboy({ headers: { 'content-type': contentType } })
    } catch (err) {
      reject(new BodyError(err instanceof Error ? err.message : String(err)))
      return
    }
    bb.on('field', (name, value) => add(name, value))
    bb.on('file', (name, stream) => {
      const parts: Buffer[] = []
      stream.on('data', (d: Buffer) => parts.push(d))
      stream.on('end', () => add(name, Buffer.concat(parts).toString('utf8')))
    })
    bb.on('error', (err: Error) => reject(new BodyError(err.message)))
    bb.on('close', () => resolve(out))
    Readable.from([body]).pipe(bb)
  })
}

/** Parses a body by MIME type (`kong.request.get_body`). */
export async function parseBody(body: Buffer, contentType: string, forcedMime?: string): Promise<Row> {
  const mime = forcedMime ?? mimeOf(contentType)
  if (mime === 'application/x-www-form-urlencoded') return parseArgs(body.toString('utf8'), 1000) as Row
  if (mime === 'application/json' || mime.endsWith('+json')) {
    if (body.length === 0) return {}
    try {
      const v: unknown = JSON.parse(body.toString('utf8'))
      if (v === null || typeof v !== 'object') throw new Error('not an object')
      return v as Row
    } catch {
      throw new BodyError('failed to decode json body')
    }
  }
  if (mime === 'multipart/form-data')
    return parseMultipart(forcedMime ? `${mime}; boundary=x` : contentType, body)
  throw new BodyError(mime === '' ? 'missing content type' : 'unsupported content type')
}

/** Encodes a table as a body of the given MIME type (`kong.service.request.set_body`). */
export function encodeBody(body: Row, mime: string): { data: Buffer; contentType: string } {
  if (mime === 'application/x-www-form-urlencoded') {
    return { data: Buffer.from(encodeArgs(body as Record<string, QueryValue>)), contentType: mime }
  }
  if (mime === 'application/json' || mime.endsWith('+json')) {
    return { data: Buffer.from(JSON.stringify(body)), contentType: mime }
  }
  if (mime === 'multipart/form-data') {
    const boundary = `silverback${Math.random().toString(16).slice(2)}`
    let text = ''
    for (const [name, v] of Object.entries(body)) {
      for (const x of Array.isArray(v) ? v : [v]) {
        text += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${String(x)}\r\n`
      }
    }
    text += `--${boundary}--\r\n`
    return { data: Buffer.from(text), contentType: `multipart/form-data; boundary=${boundary}` }
  }
  throw new BodyError(mime === '' ? 'missing content type' : `unsupported content type '${mime}'`)
}
