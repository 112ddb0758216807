// nginx size values (`client_max_body_size 10m`, `mem_cache_size = 128m`): an integer with an
// optional unit k, m or g (either case), powers of 1024; a bare number is bytes.

const SIZE = /^(\d+)([kmg]?)$/i
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Bytes for a size text, or null when the text is not a size. `parseSize('10m')` → 10485760. */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim())
  if (!match) return null
  const bytes = Number(match[1]) * UNITS[match[2].toLowerCase()]
  return Number.isSafeInteger(bytes) ? bytes : null
}

/** Like parseSize, for values already validated by loadConf (throws on an invalid size). */
export function sizeInBytes(text: string): number {
  const bytes = parseSize(text)
  if (bytes === null) throw new Error(`not a size: '${text}'`)
  return bytes
}
