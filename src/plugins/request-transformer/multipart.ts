// multipart/form-data bodies as request-transformer changes them, with the operations of Kong's
// `multipart` library: parts keep their raw headers and bytes (files survive untouched), a part
// set by the plugin is a simple field, and the body is written back with the same boundary.

export interface Part {
  /** The `name` of the part's Content-Disposition, or null. */
  name: string | null
  /** Raw header lines. */
  headers: string[]
  value: Buffer
}

const BOUNDARY = /;\s*boundary=(\S+)/i

/** The boundary of a multipart Content-Type (quotes removed), or null. */
export function boundaryOf(contentType: string): string | null {
  const m = BOUNDARY.exec(contentType)
  if (!m) return null
  let b = m[1]
  if (b.length >= 2 && ((b[0] === '"' && b.endsWith('"')) || (b[0] === "'" && b.endsWith("'"))))
    b = b.slice(1, -1)
  return b === '' ? null : b
}

const NAME = /(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/i

function partName(headers: readonly string[]): string | null {
  for (const h of headers) {
    const colon = h.indexOf(':')
    if (colon === -1 || h.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue
    const m = NAME.exec(h.slice(colon + 1))
    // Header lines are kept as bytes (latin1); names compare with the configuration's UTF-8.
    if (m) return Buffer.from(m[1] ?? m[2], 'latin1').toString('utf8')
  }
  return null
}

/** Splits a body into its parts (the preamble and epilogue are dropped). */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1')
  const parts: Part[] = []
  let at = body.indexOf(delimiter)
  while (at !== -1) {
    let start = at + delimiter.length
    // `--boundary--` closes the body.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break
    while (body[start] === 0x20 || body[start] === 0x09) start++
    if (body[start] === 0x0d) start++
    if (body[start] === 0x0a) start++
    const next = body.indexOf(delimiter, start)
    let end = next === -1 ? body.length : next
    // The line break before the next delimiter belongs to it.
    if (next !== -1 && body[end - 1] === 0x0a) end--
    if (next !== -1 && body[end - 1] === 0x0d) end--
    const chunk = body.subarray(start, Math.max(start, end))
    let sep = chunk.indexOf('\r\n\r\n')
    let sepLen = 4
    const lf = chunk.indexOf('\n\n')
    if (lf !== -1 && (sep === -1 || lf < sep)) {
      sep = lf
      sepLen = 2
    }
    const head = sep === -1 ? chunk.toString('latin1') : chunk.subarray(0, sep).toString('latin1')
    const headers = head.split(/\r?\n/).filter((l) => l !== '')
    const value = sep === -1 ? Buffer.alloc(0) : chunk.subarray(sep + sepLen)
    parts.push({ name: partName(headers), headers, value })
    at = next
  }
  return parts
}

/** Writes parts back (an empty body when none is left, as Kong's library does). */
export function serializeMultipart(parts: readonly Part[], boundary: string): Buffer {
  if (parts.length === 0) return Buffer.alloc(0)
  const out: Buffer[] = []
  for (const p of parts) {
    out.push(Buffer.from(`--${boundary}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1'))
    out.push(p.value, Buffer.from('\r\n', 'latin1'))
  }
  out.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'))
  return Buffer.concat(out)
}

/** The operations request-transformer applies, with Kong's multipart library semantics. */
export class MultipartBody {
  constructor(readonly parts: Part[]) {}

  get(name: string): Part | undefined {
    return this.parts.find((p) => p.name === name)
  }

  /** Removes every part of that name. */
  delete(name: string): void {
    for (let i = this.parts.length - 1; i >= 0; i--) if (this.parts[i].name === name) this.parts.splice(i, 1)
  }

  /** Replaces the first part of that name by a simple field, or appends one. */
  setSimple(name: string, value: Buffer | string): void {
    const part: Part = {
      name,
      headers: [`Content-Disposition: form-data; name="${Buffer.from(name, 'utf8').toString('latin1')}"`],
      value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
    }
    const i = this.parts.findIndex((p) => p.name === name)
    if (i === -1) this.parts.push(part)
    else this.parts[i] = part
  }
}
