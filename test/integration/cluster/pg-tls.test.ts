// pg_ssl and pg_ssl_verify end to end. This machine's PostgreSQL speaks plain TCP, so the test puts
// a TLS terminator in front of it: it answers PostgreSQL's SSLRequest with 'S', runs the TLS
// handshake with a certificate for 127.0.0.1 from a CA made here, and forwards the decrypted
// stream to the real server. A node with pg_ssl = on works through it (and fails against the
// plain server); with pg_ssl_verify = on it needs the CA in lua_ssl_trusted_certificate.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import tls from 'node:tls'
import pg from 'pg'
import { runCli } from '../../helpers/cli.js'
import { request, startGateway } from '../../helpers/gateway.js'

const schema = `sb_it_tls_${process.pid}_${Date.now()}`
const dir = mkdtempSync(join(tmpdir(), 'silverback-pg-tls-'))

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl CLI). */
function makeCertificates(): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name)
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' })
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=pg-tls test CA',
  ])
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ])
  writeFileSync(f('san.cnf'), 'subjectAltName = IP:127.0.0.1\n')
  run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '2',
    '-extfile',
    f('san.cnf'),
  ])
  return {
    ca: f('ca.crt'),
    cert: readFileSync(f('server.crt'), 'utf8'),
    key: readFileSync(f('server.key'), 'utf8'),
  }
}

/** PostgreSQL's SSLRequest: length 8, code 80877103. */
function isSslRequest(b: Buffer): boolean {
  return b.length >= 8 && b.readInt32BE(0) === 8 && b.readInt32BE(4) === 80877103
}

function startTerminator(
  cert: string,
  key: string,
): Promise<{ port: number; tlsSessions: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let sessions = 0
  const server = net.createServer((client) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    client.once('data', (first) => {
      if (!isSslRequest(first)) {
        client.destroy() // this terminator only speaks TLS
        return
      }
      client.write('S')
      const secure = new tls.TLSSocket(client, { isServer: true, cert, key })
      secure.once('secure', () => {
        sessions++
        const upstream = net.connect(5432, '127.0.0.1')
        sockets.add(upstream)
        upstream.once('close', () => sockets.delete(upstream))
        secure.pipe(upstream).pipe(secure)
        const end = () => {
          secure.destroy()
          upstream.destroy()
        }
        secure.once('error', end)
        upstream.once('error', end)
        secure.once('close', end)
        upstream.once('close', end)
      })
      secure.once('error', () => client.destroy())
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      resolve({
        port,
        tlsSessions: () => sessions,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy()
            server.close(() => r())
          }),
      })
    })
  })
}

describe('PostgreSQL over TLS (pg_ssl, pg_ssl_verify)', () => {
  let terminator: Awaited<ReturnType<typeof startTerminator>>
  let ca: string
  const env = (port: number, extra: Record<string, string> = {}) => ({
    DATABASE: 'postgres',
    PG_HOST: '127.0.0.1',
    PG_PORT: String(port),
    PG_DATABASE: 'test',
    PG_USER: 'postgres',
    PG_SCHEMA: schema,
    PG_TIMEOUT: '3000',
    ...extra,
  })
  const kong = (e: Record<string, string>) =>
    Object.fromEntries(Object.entries(e).map(([k, v]) => [`KONG_${k}`, v]))

  before(async () => {
    const made = makeCertificates()
    ca = made.ca
    terminator = await startTerminator(made.cert, made.key)
  })
  after(async () => {
    await terminator?.close()
    const c = new pg.Client({ host: '127.0.0.1', database: 'test', user: 'postgres' })
    await c.connect()
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await c.end()
    rmSync(dir, { recursive: true, force: true })
  })

  it('pg_ssl = on: bootstrap and a node work through TLS; the plain server refuses TLS', async () => {
    const ssl = env(terminator.port, { PG_SSL: 'on' })
    const boot = await runCli(['migrations', 'bootstrap'], kong(ssl))
    assert.equal(boot.code, 0, boot.stderr)
    const before = terminator.tlsSessions()
    const gw = await startGateway({ env: ssl })
    try {
      const created = await request(gw.admin, 'POST', '/services', {
        json: { name: 'over-tls', host: 'a.test' },
      })
      assert.equal(created.status, 201, created.text)
      assert.equal(
        ((await request(gw.admin, 'GET', '/services/over-tls')).body as { name: string }).name,
        'over-tls',
      )
    } finally {
      await gw.stop()
    }
    assert.ok(terminator.tlsSessions() > before, 'the node connected through TLS')
    const plain = await runCli(['migrations', 'list'], kong(env(5432, { PG_SSL: 'on' })))
    assert.notEqual(plain.code, 0)
    assert.match(plain.stderr, /does not support SSL/)
  })

  it('pg_ssl_verify = on trusts lua_ssl_trusted_certificate, not an unknown CA', async () => {
    const untrusted = await runCli(
      ['migrations', 'list'],
      kong(env(terminator.port, { PG_SSL: 'on', PG_SSL_VERIFY: 'on' })),
    )
    assert.notEqual(untrusted.code, 0)
    assert.match(untrusted.stderr, /self.signed|unable to (verify|get local issuer)/i)
    const trusted = await runCli(
      ['migrations', 'list'],
      kong(
        env(terminator.port, {
          PG_SSL: 'on',
          PG_SSL_VERIFY: 'on',
          LUA_SSL_TRUSTED_CERTIFICATE: `system,${ca}`,
        }),
      ),
    )
    assert.equal(trusted.code, 0, trusted.stderr)
    assert.match(trusted.stdout, /Executed migrations:/)
  })
})
