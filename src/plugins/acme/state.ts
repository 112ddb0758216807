// acme's node-wide state, held by the primary process (Kong keeps it in the plugin's storage: an
// nginx shared dictionary for `shm`): account keys, issued certificates, the hosts to renew, the
// pending HTTP-01 challenges, and the failures that put a host in backoff.

export interface StoredCert {
  host: string
  cert: string
  key: string
  /** Seconds since the epoch. */
  notAfter: number
  notBefore: number
}

export interface StoredAccount {
  key: string
  url: string | null
}

export class AcmeState {
  readonly accounts = new Map<string, StoredAccount>()
  readonly certs = new Map<string, StoredCert>()
  /** Hosts whose certificate the renewal timer looks after (Kong's renew config). */
  readonly renewHosts = new Set<string>()
  /** HTTP-01 token → key authorization. */
  readonly challenges = new Map<string, string>()
  /** Host → when its backoff after a failed issuance ends (ms since the epoch). */
  readonly backoff = new Map<string, number>()
  /** Issuances under way, by host. */
  readonly inflight = new Map<string, Promise<StoredCert>>()
}

let state: AcmeState | null = null

export function acmeState(): AcmeState {
  state ??= new AcmeState()
  return state
}
