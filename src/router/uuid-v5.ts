// RFC 4122 version-5 (SHA-1, name-based) UUIDs, as lua-resty-jit-uuid's factory_v5 makes them.
import { createHash } from 'node:crypto'

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replaceAll('-', '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`invalid namespace UUID: ${uuid}`)
  return Buffer.from(hex, 'hex')
}

/** Returns a generator of v5 UUIDs in `namespace`: same name → same UUID. */
export function uuidV5Factory(namespace: string): (name: string) => string {
  const ns = uuidBytes(namespace)
  return (name) => {
    const h = createHash('sha1').update(ns).update(name, 'utf8').digest()
    h[6] = (h[6] & 0x0f) | 0x50
    h[8] = (h[8] & 0x3f) | 0x80
    const x = h.toString('hex', 0, 16)
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
  }
}
