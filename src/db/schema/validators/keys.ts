// The `keys` entity: a key is given either as a JWK (JSON string) or as a PEM pair.
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { isVaultReference } from './vaults.js'

// Members of Kong's `jwk` record typedef; anything else is an `unknown field`.
const JWK_STRING_FIELDS = new Set([
  'issuer',
  'kty',
  'use',
  'alg',
  'kid',
  'x5u',
  'x5t',
  'x5t#S256',
  'k',
  'x',
  'y',
  'crv',
  'n',
  'e',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'oth',
  'r',
  't',
])
const JWK_ARRAY_FIELDS = new Set(['key_ops', 'x5c'])

/** Field errors of the decoded JWK against Kong's `jwk` record, as `field: message` strings. */
function jwkRecordErrors(jwk: Record<string, unknown>): string[] {
  const errors: string[] = []
  const stringError = (v: unknown) =>
    typeof v !== 'string' ? 'expected a string' : v === '' ? 'length must be at least 1' : undefined
  for (const name of Object.keys(jwk).sort()) {
    const value = jwk[name]
    let err: string | undefined
    if (JWK_STRING_FIELDS.has(name)) {
      err = value === null ? undefined : stringError(value)
    } else if (JWK_ARRAY_FIELDS.has(name)) {
      if (value !== null && !Array.isArray(value)) err = 'expected an array'
      else if (Array.isArray(value)) err = value.map(stringError).find((e) => e !== undefined)
    } else {
      err = 'unknown field'
    }
    if (err) errors.push(`${name}: ${err}`)
  }
  return errors
}

function loadJwk(jwk: JsonWebKey): KeyObject | undefined {
  try {
    // A JWK with a private exponent/scalar is a private key; others must be public keys.
    return jwk.d === undefined
      ? createPublicKey({ key: jwk, format: 'jwk' })
      : createPrivateKey({ key: jwk, format: 'jwk' })
  } catch {
    return undefined
  }
}

/**
 * `keys.jwk` entity check, in Kong's order: vault references pass; the string must decode as
 * JSON; its `kid` must equal the entity's `kid`; it must load as a key (RSA, EC, OKP);
 * finally its members must fit Kong's `jwk` record (`Validation error: ext: unknown field`).
 */
export function validateJwk(jwk: string, kid: string): string | undefined {
  if (isVaultReference(jwk)) return undefined
  let decoded: unknown
  try {
    decoded = JSON.parse(jwk)
  } catch {
    return 'could not json decode jwk string'
  }
  if (typeof decoded !== 'object' || decoded === null) return 'could not json decode jwk string'
  // Arrays decode to Lua tables too in Kong; they simply have no `kid`.
  const obj = (Array.isArray(decoded) ? {} : decoded) as Record<string, unknown>
  if (obj.kid !== kid) return 'kid in jwk.kid must be equal to keys.kid'
  if (!loadJwk(obj as JsonWebKey)) return 'could not load JWK, likely not a valid key'
  const errors = jwkRecordErrors(obj)
  return errors.length > 0 ? `Validation error: ${errors.join('; ')}` : undefined
}

const PUBLIC_KEY_PEM = /-----BEGIN (RSA |EC )?PUBLIC KEY-----/

function loadPublicPem(pem: string): KeyObject | undefined {
  // createPublicKey would also derive a public key from a private key or a certificate; Kong
  // loads this field strictly as a public key.
  if (!PUBLIC_KEY_PEM.test(pem)) return undefined
  try {
    return createPublicKey(pem)
  } catch {
    return undefined
  }
}

export interface PemPair {
  private_key?: string | null
  public_key?: string | null
}

/**
 * The `pem` record of a key (the at-least-one-of rule is the generic check's): each key present
 * must load, and together they must be two halves of one key pair. Vault references pass.
 */
export function validatePemPair(pem: PemPair): string | undefined {
  const { private_key: priv, public_key: pub } = pem
  if (isVaultReference(priv) || isVaultReference(pub)) return undefined
  let pubKey: KeyObject | undefined
  let privKey: KeyObject | undefined
  if (typeof pub === 'string') {
    pubKey = loadPublicPem(pub)
    if (!pubKey) return 'could not load public key'
  }
  if (typeof priv === 'string') {
    try {
      privKey = createPrivateKey(priv)
    } catch (err) {
      // Kong appends lua-resty-openssl's error without a separator; reproduced as is.
      return `could not load private keypkey.new:load_key: ${err instanceof Error ? err.message : String(err)}`
    }
  }
  if (pubKey && privKey) {
    const a = createPublicKey(privKey).export({ type: 'spki', format: 'der' })
    const b = pubKey.export({ type: 'spki', format: 'der' })
    if (!a.equals(b)) return 'public key does not match private key'
  }
  return undefined
}
