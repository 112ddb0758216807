// acme's ACME client work, in the primary process (node-wide, as Kong's single renewal timer):
// account registration, order, HTTP-01 challenges (answered by the workers' access handlers from
// the primary's map), finalization and download, with `acme-client` doing the RFC 8555 protocol.
// Certificates are kept node-wide; with `storage = kong` they are also saved as certificates and
// snis entities (tagged `managed-by-acme`), as Kong does.
import { createPrivateKey, type JsonWebKey, X509Certificate } from 'node:crypto'
import * as acme from 'acme-client'
import type { DB } from '../../db/dao/db.js'
import type { ConfigOf } from '../definition.js'
import { backgroundLog } from '../shared/background.js'
import { domainMatcher } from './domains.js'
import type schema from './schema.js'
import { acmeState, type StoredCert } from './state.js'

export type AcmeConf = ConfigOf<typeof schema>

const DAY = 86_400

/** The acme plugin of the node (a global plugin: there is at most one that matters). */
export async function findPlugin(db: DB): Promise<{ id: string; config: AcmeConf; enabled: boolean } | null> {
  for await (const p of db.dao('plugins').each()) {
    if (p.name === 'acme') return p as unknown as { id: string; config: AcmeConf; enabled: boolean }
  }
  return null
}

function accountName(conf: AcmeConf): string {
  return `kong_acme:account:${conf.api_uri}:${Buffer.from(conf.account_email ?? '').toString('base64')}`
}

/** The private key (PEM) of a `keys` entity: Kong's `account_key.key_id`, optionally in `key_set`. */
async function keyEntity(db: DB, kid: string, setName: string | null): Promise<string> {
  let setId: string | null = null
  if (setName !== null) {
    const set = (await db.dao('key_sets').selectBy('name', setName)) as { id: string } | null
    if (!set) throw new Error(`key set ${setName} not found`)
    setId = set.id
  }
  for await (const row of db.dao('keys').each()) {
    const k = row as {
      kid?: string
      set?: { id: string } | null
      pem?: { private_key?: string } | null
      jwk?: string | null
    }
    if (k.kid !== kid || (setId !== null && k.set?.id !== setId)) continue
    if (k.pem?.private_key) return k.pem.private_key
    if (k.jwk) {
      const jwk = JSON.parse(k.jwk) as JsonWebKey
      return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString()
    }
    throw new Error(`account key ${kid} has no private key`)
  }
  throw new Error(`account key ${kid} not found`)
}

async function accountKey(conf: AcmeConf, db: DB): Promise<string> {
  const state = acmeState()
  const name = accountName(conf)
  const known = state.accounts.get(name)
  if (known) return known.key
  let key: string | null = null
  if (conf.account_key) key = await keyEntity(db, conf.account_key.key_id, conf.account_key.key_set ?? null)
  key ??= (await acme.crypto.createPrivateEcdsaKey('P-256')).toString()
  state.accounts.set(name, { key, url: null })
  return key
}

function parseCert(host: string, chain: string, key: string): StoredCert {
  const first = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0] ?? chain
  const x509 = new X509Certificate(first)
  return {
    host,
    cert: chain,
    key,
    notBefore: Math.floor(Date.parse(x509.validFrom) / 1000),
    notAfter: Math.floor(Date.parse(x509.validTo) / 1000),
  }
}

/** Kong's save_dao: a certificates entity, and the host's snis entity pointing at it. */
async function saveDao(db: DB, stored: StoredCert): Promise<void> {
  const tags = ['managed-by-acme']
  const cert = (await db.dao('certificates').insert({ cert: stored.cert, key: stored.key, tags })) as {
    id: string
  }
  const snis = db.dao('snis')
  const old = (await snis.selectBy('name', stored.host)) as { certificate?: { id: string } | null } | null
  try {
    await snis.upsert({ field: 'name', value: stored.host }, { certificate: { id: cert.id }, tags })
  } catch (err) {
    await db.dao('certificates').delete({ id: cert.id })
    throw err
  }
  if (old?.certificate?.id && old.certificate.id !== cert.id) {
    try {
      await db.dao('certificates').delete({ id: old.certificate.id })
    } catch (err) {
      backgroundLog(
        'warn',
        `[acme] could not delete the previous certificate of ${stored.host}: ${String(err)}`,
      )
    }
  }
}

async function order(conf: AcmeConf, host: string, db: DB): Promise<StoredCert> {
  const state = acmeState()
  const name = accountName(conf)
  const key = await accountKey(conf, db)
  const client = new acme.Client({
    directoryUrl: conf.api_uri,
    accountKey: key,
    ...(state.accounts.get(name)?.url ? { accountUrl: state.accounts.get(name)?.url as string } : {}),
    ...(conf.eab_kid && conf.eab_hmac_key
      ? { externalAccountBinding: { kid: conf.eab_kid, hmacKey: conf.eab_hmac_key } }
      : {}),
    backoffAttempts: 5,
    backoffMin: 500,
    backoffMax: 5000,
  })
  const certKey =
    conf.cert_type === 'ecc'
      ? await acme.crypto.createPrivateEcdsaKey('P-256')
      : await acme.crypto.createPrivateRsaKey(conf.rsa_key_size)
  const [, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, certKey)
  const tokens: string[] = []
  const chain = await client.auto({
    csr,
    email: conf.account_email ?? undefined,
    termsOfServiceAgreed: conf.tos_accepted,
    challengePriority: ['http-01'],
    // The CA checks the challenge; the gateway does not fetch its own port 80 first.
    skipChallengeVerification: true,
    ...(conf.preferred_chain ? { preferredChain: conf.preferred_chain } : {}),
    challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
      if (challenge.type !== 'http-01') throw new Error(`unsupported challenge type ${challenge.type}`)
      state.challenges.set(challenge.token, keyAuthorization)
      tokens.push(challenge.token)
    },
    challengeRemoveFn: async (_authz, challenge) => {
      state.challenges.delete(challenge.token)
    },
  })
  for (const t of tokens) state.challenges.delete(t)
  const account = state.accounts.get(name)
  if (account) account.url = client.getAccountUrl()
  const stored = parseCert(host, chain, certKey.toString())
  if (conf.storage === 'kong') await saveDao(db, stored)
  state.certs.set(host, stored)
  return stored
}

/**
 * Kong's update_certificate: orders a certificate for `host` unless one is being ordered, or the
 * host is in its backoff after a failure (fail_backoff_minutes).
 */
export async function updateCertificate(conf: AcmeConf, host: string, db: DB): Promise<StoredCert> {
  const state = acmeState()
  host = host.toLowerCase()
  const running = state.inflight.get(host)
  if (running) return running
  const until = state.backoff.get(host) ?? 0
  if (until > Date.now()) {
    const seconds = Math.ceil((until - Date.now()) / 1000)
    throw new Error(
      `please try again in ${seconds} seconds for host ${host} because of previous failure; this is configurable with config.fail_backoff_minutes`,
    )
  }
  const p = order(conf, host, db).then(
    (stored) => {
      state.backoff.delete(host)
      state.inflight.delete(host)
      return stored
    },
    (err: unknown) => {
      state.inflight.delete(host)
      state.backoff.set(host, Date.now() + conf.fail_backoff_minutes * 60_000)
      throw err
    },
  )
  state.inflight.set(host, p)
  return p
}

/** Kong's store_renew_config: the renewal timer looks after `host` from now on. */
export function storeRenewConfig(host: string): void {
  acmeState().renewHosts.add(host.toLowerCase())
}

/** Kong's renew_certificate: renews every certificate expiring within renew_threshold_days. */
export async function renewCertificates(db: DB): Promise<void> {
  const plugin = await findPlugin(db)
  if (!plugin || plugin.enabled === false) return
  const conf = plugin.config
  const state = acmeState()
  const now = Date.now() / 1000
  for (const host of [...state.renewHosts]) {
    const cert = state.certs.get(host)
    if (cert && cert.notAfter - now > conf.renew_threshold_days * DAY) continue
    try {
      await updateCertificate(conf, host, db)
      backgroundLog('info', `[acme] renewed the certificate of ${host}`)
    } catch (err) {
      backgroundLog('error', `[acme] could not renew the certificate of ${host}: ${(err as Error).message}`)
    }
  }
}

let timer: NodeJS.Timeout | null = null

/** Starts the node's daily renewal check (once, the first time the plugin is used). */
export function ensureRenewalTimer(db: DB): void {
  if (timer) return
  timer = setInterval(() => void renewCertificates(db), DAY * 1000)
  timer.unref()
}

/** The certificate for a TLS handshake; starts an issuance for an allowed host without one. */
export async function certificateFor(db: DB, host: string): Promise<{ cert: string; key: string } | null> {
  const state = acmeState()
  const h = host.toLowerCase()
  const stored = state.certs.get(h)
  const plugin = await findPlugin(db)
  if (!plugin || plugin.enabled === false) return null
  const conf = plugin.config
  if (!domainMatcher(conf)(h)) return null
  ensureRenewalTimer(db)
  if (stored) return { cert: stored.cert, key: stored.key }
  if (!state.inflight.has(h) && (state.backoff.get(h) ?? 0) <= Date.now()) {
    updateCertificate(conf, h, db).then(
      () => storeRenewConfig(h),
      (err: Error) =>
        backgroundLog('error', `[acme] could not create a certificate for ${h}: ${err.message}`),
    )
  }
  return null
}
