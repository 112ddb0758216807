// Pagination tokens in Kong's format: base64 (standard alphabet, no padding) of the JSON array of
// the last returned primary key, e.g. `["<uuid>"]`.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function encodeOffset(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64').replace(/=+$/, '')
}

/** Returns the decoded key, or the reason the token is invalid. */
export function decodeOffset(token: string): unknown[] | string {
  if (!BASE64.test(token) || token.replace(/=+$/, '').length % 4 === 1) return 'bad base64 encoding'
  const text = Buffer.from(token, 'base64').toString('utf8')
  try {
    const value: unknown = JSON.parse(text)
    if (!Array.isArray(value)) return 'bad json encoding'
    return value
  } catch {
    return 'bad json encoding'
  }
}
