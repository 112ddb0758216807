// X.509 certificates and PEM keys (certificates, ca_certificates, client certificates), checked
// with node:crypto (OpenSSL underneath, like Kong's lua-resty-openssl).
import { createHash, createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import { isVaultReference } from './vaults.js'

function opensslMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Parses a PEM (or DER) certificate; for a chain, the first certificate. The error detail is
 * OpenSSL's, prefixed like lua-resty-openssl's (`invalid certificate: x509.new: …`).
 */
export function parseCertificate(pem: string): { cert: X509Certificate } | { error: string } {
  try {
    return { cert: new X509Certificate(pem) }
  } catch (err) {
    return { error: `invalid certificate: x509.new: ${opensslMessage(err)}` }
  }
}

/** `certificate` typedef; vault references are accepted as is. */
export function validateCertificate(pem: string): string | undefined {
  if (isVaultReference(pem)) return undefined
  const r = parseCertificate(pem)
  return 'error' in r ? r.error : undefined
}

/** Parses a PEM private key (`invalid key: pkey.new:load_key: …`). */
export function parsePrivateKey(pem: string): { key: KeyObject } | { error: string } {
  try {
    return { key: createPrivateKey(pem) }
  } catch (err) {
    return { error: `invalid key: pkey.new:load_key: ${opensslMessage(err)}` }
  }
}

const PUBLIC_KEY_PEM = /-----BEGIN (RSA |EC )?PUBLIC KEY-----/

/**
 * Kong's `key` typedef loads any PEM key, private or public (a public key is "valid" for
 * `certificates.key` in Kong, and then fails the cert/key match or the TLS handshake).
 * Certificates are not keys, although createPublicKey would accept one.
 */
export function parseKey(pem: string): { key: KeyObject } | { error: string } {
  const priv = parsePrivateKey(pem)
  if (!('error' in priv) || !PUBLIC_KEY_PEM.test(pem)) return priv
  try {
    return { key: createPublicKey(pem) }
  } catch {
    return priv
  }
}

/** `key` typedef; vault references are accepted as is. */
export function validateKey(pem: string): string | undefined {
  if (isVaultReference(pem)) return undefined
  const r = parseKey(pem)
  return 'error' in r ? r.error : undefined
}

function spki(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  return pub.export({ type: 'spki', format: 'der' })
}

function toCert(cert: string | X509Certificate): X509Certificate | undefined {
  if (typeof cert !== 'string') return cert
  const r = parseCertificate(cert)
  return 'error' in r ? undefined : r.cert
}

function toKey(key: string | KeyObject): KeyObject | undefined {
  if (typeof key !== 'string') return key
  const r = parseKey(key)
  return 'error' in r ? undefined : r.key
}

/** Whether the certificate's public key is the key's public half (false if either is unparsable). */
export function certificateMatchesKey(cert: string | X509Certificate, key: string | KeyObject): boolean {
  const c = toCert(cert)
  const k = toKey(key)
  return c !== undefined && k !== undefined && spki(c.publicKey).equals(spki(k))
}

/**
 * The public key algorithm of a certificate as node:crypto names it (`rsa`, `rsa-pss`, `ec`,
 * `ed25519`, `ed448`, `dsa`, …), undefined if unparsable. Kong compares OpenSSL key type NIDs,
 * which distinguish the same algorithms.
 */
export function certificateKeyType(cert: string | X509Certificate): string | undefined {
  return toCert(cert)?.publicKey.asymmetricKeyType
}

export interface CertificateFields {
  cert?: string | null
  key?: string | null
  cert_alt?: string | null
  key_alt?: string | null
}

/**
 * Entity checks of `certificates` (after field validation and the all-or-none rule on
 * cert_alt/key_alt): the pairs must match, and cert/cert_alt must use different key types.
 * A check is skipped when one of its values is missing, unparsable (already a field error) or
 * a vault reference (Kong skips entity checks on references).
 */
export function certificateEntityErrors(fields: CertificateFields): string[] {
  const errors: string[] = []
  const usable = (...values: Array<string | null | undefined>): boolean =>
    values.every((v) => typeof v === 'string' && !isVaultReference(v))
  const pairMismatch = (cert: string, key: string) => {
    const c = toCert(cert)
    const k = toKey(key)
    return c !== undefined && k !== undefined && !spki(c.publicKey).equals(spki(k))
  }
  const { cert, key, cert_alt: certAlt, key_alt: keyAlt } = fields
  if (usable(cert, key) && pairMismatch(cert as string, key as string)) {
    errors.push('certificate does not match key')
  }
  if (usable(certAlt, keyAlt) && pairMismatch(certAlt as string, keyAlt as string)) {
    errors.push('alternative certificate does not match key')
  }
  if (usable(cert, certAlt)) {
    const a = certificateKeyType(cert as string)
    const b = certificateKeyType(certAlt as string)
    if (a !== undefined && a === b) {
      errors.push(
        'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
          'the provided certificates were both of the same type',
      )
    }
  }
  return errors
}

const CERT_TAG = '-----BEGIN CERTIFICATE-----'

/**
 * Entity check of `ca_certificates.cert` (the field itself is checked by
 * {@link validateCertificate}): a single certificate, not expired at `nowSeconds`, with the CA
 * basic constraint.
 */
export function validateCaCertificate(
  pem: string,
  nowSeconds: number = Date.now() / 1000,
): string | undefined {
  const seen = pem.indexOf(CERT_TAG)
  if (seen !== -1 && pem.indexOf(CERT_TAG, seen + CERT_TAG.length + 1) !== -1) {
    return 'please submit only one certificate at a time'
  }
  const r = parseCertificate(pem)
  if ('error' in r) return r.error
  if (Date.parse(r.cert.validTo) / 1000 < nowSeconds) {
    return 'certificate expired, "Not After" time is in the past'
  }
  // X509Certificate#ca is true only for a basicConstraints extension with CA:TRUE.
  if (!r.cert.ca) {
    return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
  }
  return undefined
}

/** `ca_certificates.cert_digest`: lowercase hex SHA-256 of the DER encoding. */
export function certDigest(cert: string | X509Certificate): string | undefined {
  const c = toCert(cert)
  return c === undefined ? undefined : createHash('sha256').update(c.raw).digest('hex')
}
