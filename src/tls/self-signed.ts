// Self-signed certificates for TLS listeners that have no configured certificate (Kong generates
// `<prefix>/ssl/*-default.crt` the same way). A minimal DER encoder is enough for this one shape
// of certificate; Node signs it and parses it back.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  while (n > 0) {
    bytes.unshift(n & 0xff)
    n >>= 8
  }
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(value.length), value])
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items))
const explicit = (n: number, v: Buffer) => tlv(0xa0 + n, v)
const nullValue = Buffer.from([0x05, 0x00])

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes = [parts[0] * 40 + parts[1]]
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f]
    let v = p >> 7
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80)
      v >>= 7
    }
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function integer(bytes: Buffer): Buffer {
  const v = bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes
  return tlv(0x02, v)
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`))
}

function name(commonName: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))))
}

export interface SelfSignedOptions {
  commonName?: string
  /** DNS names for the subjectAltName extension (default: the common name). */
  altNames?: string[]
  /** 'rsa' (2048 bits) or 'ec' (P-256). */
  type?: 'rsa' | 'ec'
  days?: number
  /** Mark it as a CA (basicConstraints CA:TRUE), e.g. to trust it as `ca_certificates`. */
  ca?: boolean
}

export interface KeyPair {
  cert: string
  key: string
}

export function generateSelfSigned(opts: SelfSignedOptions = {}): KeyPair {
  const type = opts.type ?? 'rsa'
  const cn = opts.commonName ?? 'localhost'
  const { privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' })
  const algorithm =
    type === 'rsa' ? seq(oid('1.2.840.113549.1.1.11'), nullValue) : seq(oid('1.2.840.10045.4.3.2'))
  const serial = randomBytes(16)
  // Positive and minimal in DER: a first byte of 0x00 followed by one below 0x80 is "illegal
  // padding" to OpenSSL (once in 512 certificates before this was forced non-zero).
  serial[0] = (serial[0] & 0x7f) | 0x40
  const now = new Date()
  const notBefore = new Date(now.getTime() - 60_000)
  const notAfter = new Date(now.getTime() + (opts.days ?? 3650) * 86400_000)
  const altNames = opts.altNames ?? [cn]
  const san = seq(...altNames.map((n) => tlv(0x82, Buffer.from(n))))
  const extensions = explicit(
    3,
    seq(
      seq(
        oid('2.5.29.19'),
        tlv(0x01, Buffer.from([0xff])),
        tlv(0x04, opts.ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()),
      ),
      seq(oid('2.5.29.17'), tlv(0x04, san)),
    ),
  )
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name(cn),
    seq(time(notBefore), time(notAfter)),
    name(cn),
    spki,
    extensions,
  )
  const signature = sign('sha256', tbs, privateKey)
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n')
  const cert = `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`
  const key = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string
  return { cert, key }
}
