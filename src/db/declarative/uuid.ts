// Name-based UUIDs (RFC 4122 version 5, SHA-1) for DB-less ids. Kong derives the id of an entity
// without an explicit one from a stable key, so that reloading the same file keeps the ids (and
// thus caches, health-check state and references from outside) stable.
import { createHash } from 'node:crypto'

/** Kong's root namespace for declarative entity ids (`_entities` generator). */
export const DECLARATIVE_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5'

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`invalid namespace uuid: ${uuid}`)
  return Buffer.from(hex, 'hex')
}

function formatUuid(bytes: Buffer): string {
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** `uuidV5(namespace, name)`: SHA-1 of the namespace bytes and the UTF-8 name, version 5, RFC variant. */
export function uuidV5(namespace: string, name: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest()
  const bytes = digest.subarray(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x50
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  return formatUuid(bytes)
}

const namespaces = new Map<string, string>()

/** The namespace of one entity type: `uuidV5(DECLARATIVE_NAMESPACE, type)` (cached). */
export function entityNamespace(entity: string): string {
  let ns = namespaces.get(entity)
  if (!ns) {
    ns = uuidV5(DECLARATIVE_NAMESPACE, entity)
    namespaces.set(entity, ns)
  }
  return ns
}

/** The deterministic id of an entity of type `entity` whose key string is `key` (declarative.md §5). */
export function entityUuid(entity: string, key: string): string {
  return uuidV5(entityNamespace(entity), key)
}
