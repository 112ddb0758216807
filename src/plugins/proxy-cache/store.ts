// proxy-cache's `memory` strategy: one dictionary per `memory.dictionary_name`, held by the
// node's primary process so that every worker sees the same entries (Kong keeps them in a shared
// memory zone). Entries expire after their storage TTL; the least recently used go first when a
// dictionary exceeds its size.

/** A stored response (Kong's layout; the body as base64 so that it travels as JSON). */
export interface CachedResponse {
  status: number
  headers: Record<string, string | string[]>
  body: string
  body_len: number
  timestamp: number
  ttl: number
  version: number
  req_body?: string | null
}

/** Bumped when the stored layout changes (older entries are then ignored and purged). */
export const CACHE_VERSION = 1

interface Slot {
  entry: CachedResponse
  expiresAt: number
  size: number
}

export class Dictionary {
  private readonly slots = new Map<string, Slot>()
  private bytes = 0

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  get(key: string): CachedResponse | null {
    const slot = this.slots.get(key)
    if (!slot) return null
    if (slot.expiresAt <= this.now()) {
      this.delete(key)
      return null
    }
    // most recently used last
    this.slots.delete(key)
    this.slots.set(key, slot)
    return slot.entry
  }

  set(key: string, entry: CachedResponse, ttlSeconds: number): boolean {
    const size = key.length + entry.body.length + JSON.stringify(entry.headers).length + 64
    if (size > this.maxBytes) return false
    this.delete(key)
    while (this.bytes + size > this.maxBytes) {
      const oldest = this.slots.keys().next().value
      if (oldest === undefined) break
      this.delete(oldest)
    }
    this.slots.set(key, { entry, expiresAt: this.now() + ttlSeconds, size })
    this.bytes += size
    return true
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key)
    if (!slot) return false
    this.slots.delete(key)
    this.bytes -= slot.size
    return true
  }

  purge(): void {
    this.slots.clear()
    this.bytes = 0
  }

  get size(): number {
    return this.slots.size
  }
}

/** The node's dictionaries, by name. */
export class Dictionaries {
  private readonly byName = new Map<string, Dictionary>()

  constructor(
    private readonly maxBytes: number,
    private readonly now?: () => number,
  ) {}

  get(name: string): Dictionary {
    let d = this.byName.get(name)
    if (!d) {
      d = new Dictionary(this.maxBytes, this.now)
      this.byName.set(name, d)
    }
    return d
  }

  all(): Dictionary[] {
    return [...this.byName.values()]
  }
}
