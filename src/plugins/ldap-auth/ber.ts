// The little BER (X.690) that a simple bind needs: LDAPMessage envelopes (RFC 4511 §4.1.1) around
// a BindRequest, a BindResponse, an UnbindRequest and the StartTLS extended operation. Shared by
// the client and the test LDAP server.

/** Tags used here (universal and LDAP application classes). */
export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
  BIND_REQUEST: 0x60,
  BIND_RESPONSE: 0x61,
  UNBIND_REQUEST: 0x42,
  EXTENDED_REQUEST: 0x77,
  EXTENDED_RESPONSE: 0x78,
  /** [0] IMPLICIT OCTET STRING: a simple bind's password. */
  SIMPLE_AUTH: 0x80,
  /** [0]: an ExtendedRequest's requestName. */
  EXTENDED_NAME: 0x80,
} as const

/** The StartTLS extended operation's OID (RFC 4511 §4.14.1). */
export const START_TLS_OID = '1.3.6.1.4.1.1466.20037'

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/** One TLV. */
export function tlv(tag: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return Buffer.concat([Buffer.from([tag]), encodeLength(v.length), v])
}

/** A non-negative INTEGER (or ENUMERATED with its tag). */
export function integer(n: number, tag: number = TAG.INTEGER): Buffer {
  const bytes: number[] = []
  let v = n
  do {
    bytes.unshift(v & 0xff)
    v = Math.floor(v / 256)
  } while (v > 0)
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0)
  return tlv(tag, Buffer.from(bytes))
}

/** An LDAPMessage: SEQUENCE { messageID, protocolOp }. */
export function message(id: number, op: Buffer): Buffer {
  return tlv(TAG.SEQUENCE, Buffer.concat([integer(id), op]))
}

/** BindRequest (version 3, simple authentication). */
export function bindRequest(id: number, dn: string, password: Buffer | string): Buffer {
  const op = Buffer.concat([integer(3), tlv(TAG.OCTET_STRING, dn), tlv(TAG.SIMPLE_AUTH, password)])
  return message(id, tlv(TAG.BIND_REQUEST, op))
}

export function unbindRequest(id: number): Buffer {
  return message(id, tlv(TAG.UNBIND_REQUEST, Buffer.alloc(0)))
}

export function startTlsRequest(id: number): Buffer {
  return message(id, tlv(TAG.EXTENDED_REQUEST, tlv(TAG.EXTENDED_NAME, START_TLS_OID)))
}

/** An LDAPResult-shaped response (BindResponse, ExtendedResponse) with `op`'s tag. */
export function resultResponse(id: number, op: number, code: number, diagnostic = ''): Buffer {
  const body = Buffer.concat([
    integer(code, TAG.ENUMERATED),
    tlv(TAG.OCTET_STRING, ''),
    tlv(TAG.OCTET_STRING, diagnostic),
  ])
  return message(id, tlv(op, body))
}

export interface Tlv {
  tag: number
  value: Buffer
  /** Bytes the element takes, header included. */
  size: number
}

/**
 * The TLV at the start of `buf`: null when more bytes are needed; throws on encodings this
 * module does not accept (indefinite or over-long lengths).
 */
export function readTlv(buf: Buffer, offset = 0): Tlv | null {
  if (buf.length - offset < 2) return null
  const tag = buf[offset]
  let len = buf[offset + 1]
  let header = 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) throw new Error('unsupported BER length')
    if (buf.length - offset < 2 + n) return null
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]
    header += n
  }
  if (buf.length - offset < header + len) return null
  return { tag, value: buf.subarray(offset + header, offset + header + len), size: header + len }
}

/** The elements of a constructed value, in order. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = []
  for (let at = 0; at < value.length; ) {
    const t = readTlv(value, at)
    if (!t) throw new Error('truncated BER element')
    out.push(t)
    at += t.size
  }
  return out
}

export function readInteger(value: Buffer): number {
  let n = 0
  for (const b of value) n = n * 256 + b
  return n
}

export interface LdapMessage {
  id: number
  /** The protocolOp's tag (BIND_RESPONSE...). */
  op: number
  /** The protocolOp's content. */
  body: Buffer
}

/** Decodes a complete LDAPMessage element. */
export function parseMessage(element: Tlv): LdapMessage {
  if (element.tag !== TAG.SEQUENCE) throw new Error('an LDAPMessage is a SEQUENCE')
  const [id, op] = children(element.value)
  if (!id || id.tag !== TAG.INTEGER || !op) throw new Error('malformed LDAPMessage')
  return { id: readInteger(id.value), op: op.tag, body: op.value }
}

export interface LdapResult {
  code: number
  diagnostic: string
}

/** The resultCode and diagnosticMessage of an LDAPResult-shaped protocolOp. */
export function parseResult(body: Buffer): LdapResult {
  const [code, , diagnostic] = children(body)
  if (!code || code.tag !== TAG.ENUMERATED) throw new Error('malformed LDAPResult')
  return { code: readInteger(code.value), diagnostic: diagnostic?.value.toString('utf8') ?? '' }
}
