// TLS sessions of upstream connections, by pool key (nginx's proxy_ssl_session_reuse). Kept
// outside the pools, which are dropped when their last connection closes. Bounded: the oldest
// entry goes first (insertion order of a Map; a refreshed entry moves to the end).
export class SessionCache {
  private readonly max: number
  private readonly map = new Map<string, Buffer>()

  constructor(max: number) {
    this.max = max
  }

  get(key: string): Buffer | undefined {
    return this.map.get(key)
  }

  set(key: string, session: Buffer): void {
    this.map.delete(key)
    this.map.set(key, session)
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
    }
  }

  clear(): void {
    this.map.clear()
  }

  get size(): number {
    return this.map.size
  }
}
