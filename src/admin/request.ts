// Reads and decodes Admin API requests: bounded body reading (413), Content-Type rules (400/415),
// JSON, form-urlencoded and multipart bodies, query strings, and the argument count limit.
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import busboy from 'busboy'
import { decodeArgs, parseQueryPairs, type RawValue } from './arguments.js'
import type { AdminResponse, BodyKind } from './http.js'

const MAX_ARGS = 1000
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH'])

export class RequestError extends Error {
  constructor(readonly response: AdminResponse) {
    super(`request rejected with ${response.status}`)
  }
}

const tooManyArguments = (): RequestError =>
  new RequestError({ status: 400, body: { message: 'Too many arguments' } })

/** Reads the whole body, refusing more than `limit` bytes (0 = unlimited) with a 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (limit > 0 && Number.isFinite(declared) && declared > limit) {
    req.resume()
    throw new RequestError({ status: 413, body: { message: 'Payload too large' } })
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (limit > 0 && size > limit) {
      req.resume()
      throw new RequestError({ status: 413, body: { message: 'Payload too large' } })
    }
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

/** Decodes the query string of a request URL. */
export function decodeQuery(search: string, method: string): Record<string, unknown> {
  const pairs = parseQueryPairs(search.startsWith('?') ? search.slice(1) : search)
  if (pairs.length > MAX_ARGS) throw tooManyArguments()
  return decodeArgs(pairs, WRITE_METHODS.has(method))
}

function contentTypes(req: IncomingMessage): string[] {
  // Node keeps only the first Content-Type in `headers`; the raw list shows duplicates.
  const out: string[] = []
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'content-type') out.push(req.rawHeaders[i + 1])
  }
  return out
}

async function parseMultipart(contentType: string, body: Buffer): Promise<[string, RawValue][]> {
  return new Promise((resolve, reject) => {
    const pairs: [string, RawValue][] = []
    let bb: busboy.Busboy
    try {
      bb = busboy({
        headers: { 'content-type': contentType },
        limits: { fields: MAX_ARGS + 1, files: MAX_ARGS + 1 },
      })
    } catch {
      resolve(pairs)
      return
    }
    bb.on('field', (name, value) => pairs.push([name, value]))
    bb.on('file', (name, stream) => {
      const parts: Buffer[] = []
      stream.on('data', (d: Buffer) => parts.push(d))
      stream.on('end', () => pairs.push([name, Buffer.concat(parts).toString('utf8')]))
    })
    bb.on('error', reject)
    bb.on('close', () => resolve(pairs))
    Readable.from([body]).pipe(bb)
  })
}

export interface DecodedBody {
  kind: BodyKind
  args: Record<string, unknown>
}

/**
 * Applies Kong's body rules to a write request and decodes the body.
 * `acceptsYaml` is set for `/config`.
 */
export async function decodeBody(
  req: IncomingMessage,
  method: string,
  body: Buffer,
  acceptsYaml: boolean,
): Promise<DecodedBody> {
  if (!WRITE_METHODS.has(method)) return { kind: 'none', args: {} }
  const types = contentTypes(req)
  if (types.length > 1) {
    throw new RequestError({
      status: 400,
      text: 'Multiple Content-Type headers not allowed',
      contentType: 'text/plain; charset=utf-8',
    })
  }
  const ct = types[0]
  if (ct === undefined) {
    if (body.length === 0) return { kind: 'none', args: {} }
    throw new RequestError({ status: 415 })
  }
  const lower = ct.toLowerCase()
  if (lower.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object')
      return { kind: 'json', args: parsed as Record<string, unknown> }
    } catch {
      throw new RequestError({ status: 400, body: { message: 'Cannot parse JSON body' } })
    }
  }
  if (lower.startsWith('application/x-www-form-urlencoded')) {
    const pairs = parseQueryPairs(body.toString('utf8'))
    if (pairs.length > MAX_ARGS) throw tooManyArguments()
    return { kind: 'form', args: decodeArgs(pairs, true) }
  }
  if (lower.startsWith('multipart/form-data')) {
    const pairs = await parseMultipart(ct, body)
    if (pairs.length > MAX_ARGS) throw tooManyArguments()
    return { kind: 'multipart', args: decodeArgs(pairs, true) }
  }
  if (acceptsYaml && (lower.startsWith('application/yaml') || lower.startsWith('text/yaml'))) {
    return { kind: 'yaml', args: {} }
  }
  throw new RequestError({ status: 415 })
}
