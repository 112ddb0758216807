// The authentication contract every auth plugin follows (plugins.md §6.1): mark the request as
// authenticated, tell the upstream who the consumer is, and the `anonymous` fallback.
import type { ExitHeaders, Kong, Row } from '../../pdk/types.js'

/** Authenticates the request and sets the consumer headers sent upstream. */
export function setConsumer(
  kong: Kong,
  consumer: Row | null,
  credential: Row | null,
  identifier?: string | null,
): void {
  kong.client.authenticate(consumer, credential)
  const req = kong.service.request
  const set = (name: string, value: unknown): void => {
    if (value !== null && value !== undefined && value !== '') req.setHeader(name, String(value))
    else req.clearHeader(name)
  }
  set('X-Consumer-ID', consumer?.id)
  set('X-Consumer-Custom-ID', consumer?.custom_id)
  set('X-Consumer-Username', consumer?.username)
  set('X-Credential-Identifier', credential ? (identifier ?? credential.id) : null)
  if (credential) req.clearHeader('X-Anonymous-Consumer')
  else req.setHeader('X-Anonymous-Consumer', 'true')
}

/** A plugin's authentication failure: the status, message and headers it answers with. */
export interface AuthFailure {
  status: number
  message: string
  headers?: ExitHeaders
}

/**
 * Runs an authentication attempt with Kong's `anonymous` rules: when `anonymous` is set and a
 * credential is already authenticated, nothing happens; a failure authenticates the anonymous
 * consumer instead (500 if it does not exist); without `anonymous`, a failure is answered.
 * `attempt` returns null on success (after calling setConsumer) or the failure.
 */
export async function authenticate(
  kong: Kong,
  anonymous: string | null | undefined,
  attempt: () => Promise<AuthFailure | null> | AuthFailure | null,
  respond: (failure: AuthFailure) => void = (f) => kong.response.error(f.status, f.message, f.headers),
): Promise<void> {
  if (anonymous && kong.client.getCredential()) return
  const failure = await attempt()
  if (failure === null) return
  if (!anonymous) {
    respond(failure)
    return
  }
  const consumer = await kong.client.loadConsumer(anonymous, true)
  if (!consumer) {
    kong.response.error(500, `anonymous consumer ${anonymous} is configured but doesn't exist`)
    return
  }
  setConsumer(kong, consumer, null)
}

/** The consumer a credential belongs to (through the cache). */
export function credentialConsumer(kong: Kong, credential: Row): Promise<Row | null> {
  const id = (credential.consumer as { id?: string } | null)?.id
  return id ? kong.client.loadConsumer(id) : Promise.resolve(null)
}

/**
 * The consumer of a credential if the cache holds the answer (null: it does not exist), or
 * undefined when it would have to be loaded. Lets plugins authenticate without awaiting.
 */
export function cachedConsumer(kong: Kong, credential: Row): Row | null | undefined {
  let key = consumerKeys.get(credential)
  if (key === undefined) {
    const id = (credential.consumer as { id?: string } | null)?.id
    if (!id) return null
    key = kong.cache.entityKey('consumers', 'id', id.toLowerCase())
    consumerKeys.set(credential, key)
  }
  return kong.cache.probe<Row>(key)
}

/**
 * The consumer's cache key of each cached credential row: the same string object on every
 * request, so the cache does not hash a freshly built key each time.
 */
const consumerKeys = new WeakMap<Row, string>()
