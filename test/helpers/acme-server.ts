// A minimal ACME CA (RFC 8555) for the acme plugin's tests, on 127.0.0.1: directory, nonces,
// accounts, orders, authorizations, HTTP-01 challenges, finalization and certificate download.
// It checks a challenge by fetching http://<domain>/.well-known/acme-challenge/<token> from the
// gateway's HTTP proxy port on 127.0.0.1 (Host: <domain>), and signs the CSR with a test CA key
// through the openssl CLI. JWS signatures are not verified (the payloads and headers are read).
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface AcmeServer {
  /** The directory URL (the plugin's `api_uri`). */
  directory: string
  /** The CA certificate (PEM) that signs the issued certificates. */
  caCert: string
  /** What happened, for assertions: `challenge <domain> <ok|fail>`, `finalize <domain>`... */
  events: string[]
  /** The port of the gateway's HTTP proxy where challenges are fetched. */
  setProxyPort(port: number): void
  close(): Promise<void>
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url')

interface Jws {
  header: { alg: string; nonce: string; url: string; jwk?: Record<string, string>; kid?: string }
  payload: Record<string, unknown> | null
}

function parseJws(body: string): Jws {
  const jws = JSON.parse(body) as { protected: string; payload: string }
  const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString()) as Jws['header']
  const payload =
    jws.payload === ''
      ? null
      : (JSON.parse(Buffer.from(jws.payload, 'base64url').toString()) as Record<string, unknown>)
  return { header, payload }
}

/** RFC 7638 thumbprint of an account key. */
export function thumbprint(jwk: Record<string, string>): string {
  const members = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n']
  const json = `{${members.map((m) => `"${m}":"${jwk[m]}"`).join(',')}}`
  return createHash('sha256').update(json).digest('base64url')
}

function fetchChallenge(port: number, domain: string, token: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: `/.well-known/acme-challenge/${token}`,
        headers: { host: domain },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString() : null))
        res.on('error', () => resolve(null))
      },
    )
    req.setTimeout(5000, () => req.destroy())
    req.on('error', () => resolve(null))
  })
}

export async function startAcmeServer(): Promise<AcmeServer> {
  const dir = mkdtempSync(join(tmpdir(), 'acme-ca-'))
  const caKey = join(dir, 'ca.key')
  const caCrt = join(dir, 'ca.crt')
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey])
  execFileSync('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    '/CN=Silverback Test ACME CA',
    '-days',
    '2',
    '-out',
    caCrt,
  ])
  const caCert = readFileSync(caCrt, 'utf8')

  let base = ''
  let proxyPort = 0
  let serial = 1
  const events: string[] = []
  const accounts = new Map<string, Record<string, string>>() // account URL → jwk
  const accountByThumb = new Map<string, string>()
  const orders = new Map<
    string,
    { status: string; domains: string[]; authz: string[]; account: string; cert?: string }
  >()
  const authzs = new Map<string, { status: string; domain: string; order: string; chall: string }>()
  const challs = new Map<string, { status: string; token: string; authz: string; error?: unknown }>()
  const id = () => randomBytes(8).toString('hex')

  const orderBody = (url: string) => {
    const o = orders.get(url)!
    return {
      status: o.status,
      identifiers: o.domains.map((value) => ({ type: 'dns', value })),
      authorizations: o.authz,
      finalize: `${url}/finalize`,
      ...(o.cert ? { certificate: `${url}/cert` } : {}),
    }
  }
  const challBody = (url: string) => {
    const c = challs.get(url)!
    return { type: 'http-01', url, token: c.token, status: c.status, ...(c.error ? { error: c.error } : {}) }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString(), res).catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'application/problem+json' })
        res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:serverInternal', detail: err.message }))
      })
    })
  })

  async function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const url = `${base}${path}`
    const reply = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      const text = typeof data === 'string' ? data : JSON.stringify(data)
      res.writeHead(status, {
        'replay-nonce': b64u(randomBytes(16)),
        'cache-control': 'no-store',
        'content-type': typeof data === 'string' ? 'application/pem-certificate-chain' : 'application/json',
        ...headers,
      })
      res.end(text)
    }
    if (path === '/directory') {
      return reply(200, {
        newNonce: `${base}/new-nonce`,
        newAccount: `${base}/new-account`,
        newOrder: `${base}/new-order`,
        revokeCert: `${base}/revoke-cert`,
        keyChange: `${base}/key-change`,
        meta: { termsOfService: `${base}/terms` },
      })
    }
    if (path === '/new-nonce') return reply(req.method === 'HEAD' ? 200 : 204, '')
    if (req.method !== 'POST')
      return reply(405, { type: 'urn:ietf:params:acme:error:malformed', detail: 'POST only' })
    const jws = parseJws(body)
    if (path === '/new-account') {
      const jwk = jws.header.jwk!
      const thumb = thumbprint(jwk)
      const existing = accountByThumb.get(thumb)
      if (existing) return reply(200, { status: 'valid' }, { location: existing })
      if (jws.payload?.termsOfServiceAgreed !== true)
        return reply(403, {
          type: 'urn:ietf:params:acme:error:userActionRequired',
          detail: 'terms of service not agreed',
        })
      const account = `${base}/acct/${id()}`
      accounts.set(account, jwk)
      accountByThumb.set(thumb, account)
      events.push(`account ${String((jws.payload.contact as string[] | undefined)?.[0] ?? '')}`)
      events.push(`jwk ${thumb}`)
      return reply(201, { status: 'valid', contact: jws.payload.contact ?? [] }, { location: account })
    }
    if (path.startsWith('/acct/')) return reply(200, { status: 'valid' }, { location: url })
    const account = jws.header.kid ?? ''
    if (!accounts.has(account))
      return reply(400, { type: 'urn:ietf:params:acme:error:accountDoesNotExist', detail: 'no account' })
    if (path === '/new-order') {
      const ids = (jws.payload?.identifiers ?? []) as { value: string }[]
      const o = `${base}/order/${id()}`
      const a: string[] = []
      for (const ident of ids) {
        const au = `${base}/authz/${id()}`
        const ch = `${base}/chall/${id()}`
        authzs.set(au, { status: 'pending', domain: ident.value, order: o, chall: ch })
        challs.set(ch, { status: 'pending', token: b64u(randomBytes(16)), authz: au })
        a.push(au)
      }
      orders.set(o, { status: 'pending', domains: ids.map((i) => i.value), authz: a, account })
      events.push(`order ${ids.map((i) => i.value).join(',')}`)
      return reply(201, orderBody(o), { location: o })
    }
    const authz = authzs.get(url)
    if (authz) {
      if (jws.payload && jws.payload.status === 'deactivated') authz.status = 'deactivated'
      return reply(200, {
        status: authz.status,
        identifier: { type: 'dns', value: authz.domain },
        challenges: [challBody(authz.chall)],
      })
    }
    const chall = challs.get(url)
    if (chall) {
      if (jws.payload !== null && chall.status === 'pending') {
        // respond to the challenge: check it at once, so that the first poll sees the outcome
        const a = authzs.get(chall.authz)!
        const expected = `${chall.token}.${thumbprint(accounts.get(account)!)}`
        const got = await fetchChallenge(proxyPort, a.domain, chall.token)
        const ok = got?.trim() === expected
        events.push(`challenge ${a.domain} ${ok ? 'ok' : 'fail'}`)
        chall.status = ok ? 'valid' : 'invalid'
        a.status = ok ? 'valid' : 'invalid'
        if (!ok)
          chall.error = {
            type: 'urn:ietf:params:acme:error:unauthorized',
            detail: `got ${JSON.stringify(got)}`,
          }
        const o = orders.get(a.order)!
        if ([...o.authz].every((u) => authzs.get(u)?.status === 'valid')) o.status = 'ready'
        else if (!ok) o.status = 'invalid'
      }
      return reply(200, challBody(url), { link: `<${chall.authz}>;rel="up"` })
    }
    const m = /^(\/order\/[0-9a-f]+)(\/finalize|\/cert)?$/.exec(path)
    const order = m ? orders.get(`${base}${m[1]}`) : undefined
    if (m && order) {
      const orderUrl = `${base}${m[1]}`
      if (m[2] === '/finalize') {
        if (order.status !== 'ready')
          return reply(403, { type: 'urn:ietf:params:acme:error:orderNotReady', detail: order.status })
        const der = Buffer.from(String(jws.payload?.csr ?? ''), 'base64url')
        const csrPem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`
        const csrFile = join(dir, `csr-${serial}.pem`)
        const crtFile = join(dir, `crt-${serial}.pem`)
        const extFile = join(dir, `ext-${serial}.cnf`)
        writeFileSync(csrFile, csrPem)
        writeFileSync(extFile, `subjectAltName=${order.domains.map((d) => `DNS:${d}`).join(',')}\n`)
        execFileSync('openssl', [
          'x509',
          '-req',
          '-in',
          csrFile,
          '-CA',
          caCrt,
          '-CAkey',
          caKey,
          '-set_serial',
          String(1000 + serial),
          '-days',
          '30',
          '-extfile',
          extFile,
          '-out',
          crtFile,
        ])
        serial++
        order.cert = `${readFileSync(crtFile, 'utf8')}${caCert}`
        order.status = 'valid'
        events.push(`finalize ${order.domains.join(',')}`)
        return reply(200, orderBody(orderUrl), { location: orderUrl })
      }
      if (m[2] === '/cert') return reply(200, order.cert ?? '')
      return reply(200, orderBody(orderUrl), { location: orderUrl })
    }
    return reply(404, { type: 'urn:ietf:params:acme:error:malformed', detail: `no ${path}` })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    directory: `${base}/directory`,
    caCert,
    events,
    setProxyPort(port) {
      proxyPort = port
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
