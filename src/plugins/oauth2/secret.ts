// Hashed client secrets (`hash_secret = true`): Kong 3.9 stores them as PBKDF2 in the PHC string
// format, `$pbkdf2-sha512$i=10000,l=32$<salt>$<hash>` (salt and hash in base64 without padding;
// 16 random bytes of salt, 32 bytes of SHA-512 PBKDF2 over 10,000 iterations). Hashes Kong made
// verify here and the other way round.
import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

const DIGEST = 'sha512'
const ITERATIONS = 10000
const LENGTH = 32
const SALT_LENGTH = 16

/** The beginning every hash made with the current parameters shares (Kong's needs_rehash test). */
const PREFIX = `$pbkdf2-${DIGEST}$i=${ITERATIONS},l=${LENGTH}$`

const DIGESTS = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512'])

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')

/** Hashes a client secret (synchronous: about 10 ms of CPU, on Admin API writes). */
export function hashSecret(secret: string): string {
  const salt = randomBytes(SALT_LENGTH)
  return `${PREFIX}${b64(salt)}$${b64(pbkdf2Sync(secret, salt, ITERATIONS, LENGTH, DIGEST))}`
}

interface Phc {
  digest: string
  iterations: number
  length: number
  salt: Buffer
  hash: Buffer
}

/** Reads a `$pbkdf2-<digest>$i=<n>,l=<n>$<salt>$<hash>` string; null for anything else. */
function parsePhc(phc: string): Phc | null {
  const parts = phc.split('$')
  if (parts.length !== 5 || parts[0] !== '' || !parts[1].startsWith('pbkdf2-')) return null
  const digest = parts[1].slice('pbkdf2-'.length)
  if (!DIGESTS.has(digest)) return null
  const params = new Map<string, number>()
  for (const p of parts[2].split(',')) {
    const [k, v] = p.split('=')
    params.set(k?.trim() ?? '', Number(v))
  }
  const salt = Buffer.from(parts[3], 'base64')
  const hash = Buffer.from(parts[4], 'base64')
  const iterations = params.get('i') ?? Number.NaN
  const length = params.get('l') ?? hash.length
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) return null
  if (!Number.isInteger(length) || length < 1 || length > 1024 || hash.length !== length) return null
  return { digest, iterations, length, salt, hash }
}

/**
 * Whether `secret` matches a stored hash. Asynchronous (the derivation runs on the libuv thread
 * pool), so a proxy worker's event loop is not held while it runs. Anything but a PBKDF2 PHC
 * string never matches (Kong ships the other algorithms disabled).
 */
export function verifySecret(secret: unknown, hash: unknown): Promise<boolean> {
  if (typeof secret !== 'string' || typeof hash !== 'string') return Promise.resolve(false)
  const phc = parsePhc(hash)
  if (phc === null) return Promise.resolve(false)
  return new Promise((resolve) => {
    pbkdf2(secret, phc.salt, phc.iterations, phc.length, phc.digest, (err, derived) => {
      resolve(err === null && timingSafeEqual(derived, phc.hash))
    })
  })
}

/** A stored hash made with other parameters than the current ones is replaced after a success. */
export function needsRehash(hash: unknown): boolean {
  return typeof hash !== 'string' || !hash.startsWith(PREFIX)
}
