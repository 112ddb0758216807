// Random identifiers in Kong's formats.
import { randomBytes, randomInt } from 'node:crypto'

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * Kong's auto-generated credential strings: 32 characters of [A-Za-z0-9], made from the base64
 * encoding of 24 random bytes with `+` and `/` replaced by random letters.
 */
export function randomString(): string {
  return randomBytes(24)
    .toString('base64')
    .replace(/[+/]/g, () => LETTERS[randomInt(LETTERS.length)])
}
