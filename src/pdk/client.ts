// kong.client: who is calling (plugins.md §4.6), and the authentication contract (§6.1).
import { checkPhase, P } from './phase.js'
import type { RequestState } from './state.js'
import type { KongClient, Row } from './types.js'

export class PdkClient implements KongClient {
  constructor(private readonly s: RequestState) {}

  getIp(): string {
    return this.s.peer
  }

  getForwardedIp(): string {
    return this.s.clientIp
  }

  getPort(): number {
    return this.s.req.socket.remotePort ?? 0
  }

  getForwardedPort(): number {
    const s = this.s
    if (s.trusted && s.head.xForwardedPort) {
      const p = Number(s.head.xForwardedPort)
      if (Number.isInteger(p)) return p
    }
    return this.getPort()
  }

  authenticate(consumer: Row | null, credential: Row | null): void {
    checkPhase(this.s.phase, P.A, 'kong.client.authenticate')
    if (!consumer && !credential) throw new TypeError('either credential or consumer must be provided')
    if (consumer !== null && typeof consumer !== 'object')
      throw new TypeError('consumer must be a table or nil')
    if (credential !== null && typeof credential !== 'object')
      throw new TypeError('credential must be a table or nil')
    this.s.consumer = consumer
    this.s.credential = credential
  }

  getConsumer(): Row | null {
    checkPhase(this.s.phase, P.AFTER_ACCESS, 'kong.client.get_consumer')
    return this.s.consumer
  }

  getCredential(): Row | null {
    checkPhase(this.s.phase, P.AFTER_ACCESS, 'kong.client.get_credential')
    return this.s.credential
  }

  loadConsumer(id: string, byUsername = false): Promise<Row | null> {
    checkPhase(this.s.phase, P.AFTER_ACCESS, 'kong.client.load_consumer')
    if (typeof id !== 'string' || id === '') throw new TypeError('consumer_id must be a string')
    return loadConsumer(this.s, id, byUsername)
  }

  getProtocol(allowTerminated = false): string {
    checkPhase(this.s.phase, P.AFTER_ACCESS, 'kong.client.get_protocol')
    const s = this.s
    const protocols = s.route?.protocols
    if (protocols && protocols.length === 1) return protocols[0]
    const grpc = protocols?.includes('grpc') || protocols?.includes('grpcs')
    let secure = s.listener.scheme === 'https'
    if (!secure && allowTerminated && s.trusted && s.head.xForwardedProto?.toLowerCase() === 'https')
      secure = true
    if (grpc) return secure ? 'grpcs' : 'grpc'
    return secure ? 'https' : 'http'
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A consumer by id (or username), through the cache; with `byUsername`, a UUID is tried as id first. */
export async function loadConsumer(s: RequestState, key: string, byUsername: boolean): Promise<Row | null> {
  const cache = s.env.cache
  if (UUID.test(key)) {
    const c = await cache.select('consumers', 'id', key.toLowerCase())
    if (c || !byUsername) return c
  } else if (!byUsername) return null
  return cache.select('consumers', 'username', key)
}
