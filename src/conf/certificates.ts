// Certificate and key values: a file path, PEM text, or base64 of PEM text (Kong's three forms).
// Normalised to an absolute path (existing file) or PEM text, and checked with node:crypto.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** The decoded text when `value` is base64 (or base64url) of PEM text, otherwise `value` itself. */
export function tryDecodeBase64(value: string): string {
  if (value.includes('-----BEGIN') || !(BASE64.test(value) || BASE64URL.test(value))) return value
  const decoded = Buffer.from(value, BASE64.test(value) ? 'base64' : 'base64url').toString('utf8')
  // Kong keeps whatever decodes; keeping the original when it is not PEM gives a readable message.
  return decoded.includes('-----BEGIN') ? decoded : value
}

export type PemKind = 'certificate' | 'key' | 'dhparam'

function isValidPem(text: string, kind: PemKind): boolean {
  try {
    if (kind === 'certificate') new X509Certificate(text)
    else if (kind === 'key') createPrivateKey(text)
    // node:crypto cannot load DH parameters; recognise their PEM armour.
    else return /-----BEGIN DH PARAMETERS-----[\s\S]+-----END DH PARAMETERS-----/.test(text)
    return true
  } catch {
    return false
  }
}

/**
 * Normalises one value. `error` is set when the value is neither an existing file nor loadable
 * content; `value` is then the decoded text, as Kong prints it in its message.
 */
export function loadPem(value: string, kind: PemKind, cwd: string): { value: string; error: boolean } {
  const path = resolve(cwd, value)
  if (!value.includes('\n') && existsSync(path)) return { value: path, error: false }
  const decoded = tryDecodeBase64(value)
  return { value: decoded, error: !isValidPem(decoded, kind) }
}

/** Kong's message for a value that could not be loaded. */
export function loadFailure(label: string, kind: PemKind, value: string): string {
  return kind === 'key'
    ? `${label}: failed loading key from ${value}`
    : `${label}: failed loading certificate from ${value}`
}
