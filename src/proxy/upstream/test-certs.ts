// Test-only certificate chains (root CA → intermediate CA → leaf) for the tls_verify_depth tests.
// src/tls/self-signed.ts only makes self-signed leaves; this is the same minimal DER encoding with
// an issuer and CA basic constraints. EC P-256 keys keep it fast.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto'

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}
const tlv = (tag: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(v.length), v])
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes = [parts[0] * 40 + parts[1]]
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f]
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))))
const utc = (d: Date): Buffer =>
  tlv(0x17, Buffer.from(`${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`))
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'))

export interface Issued {
  cert: string
  key: string
  cn: string
  privateKey: KeyObject
}

/** Issues a certificate for `cn`, signed by `issuer` (self-signed when omitted). */
export function issue(cn: string, opts: { issuer?: Issued; ca?: boolean; altNames?: string[] } = {}): Issued {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' })
  const serial = randomBytes(12)
  serial[0] &= 0x7f
  const now = Date.now()
  const ext: Buffer[] = [
    // basicConstraints (critical), cA as asked.
    seq(
      oid('2.5.29.19'),
      tlv(0x01, Buffer.from([0xff])),
      tlv(0x04, opts.ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()),
    ),
  ]
  if (opts.ca) {
    // keyUsage (critical): keyCertSign | cRLSign.
    ext.push(
      seq(oid('2.5.29.15'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, tlv(0x03, Buffer.from([0x01, 0x06])))),
    )
  } else {
    const san = seq(...(opts.altNames ?? [cn]).map((n) => tlv(0x82, Buffer.from(n))))
    ext.push(seq(oid('2.5.29.17'), tlv(0x04, san)))
  }
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ECDSA_SHA256,
    name(opts.issuer?.cn ?? cn),
    seq(utc(new Date(now - 60_000)), utc(new Date(now + 86400_000))),
    name(cn),
    spki,
    tlv(0xa3, seq(...ext)),
  )
  const signature = sign('sha256', tbs, opts.issuer?.privateKey ?? privateKey)
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n')
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`,
    key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })).export({
      type: 'pkcs8',
      format: 'pem',
    }) as string,
    cn,
    privateKey,
  }
}
