// A small LDAP server on 127.0.0.1 for tests: answers simple BindRequests from a table of DNs and
// passwords (success, or invalidCredentials 49), the StartTLS extended operation, and
// UnbindRequests; over TCP or LDAPS. It records every bind, and can be told to stay silent
// (accept connections, never answer) to exercise timeouts. Its BER is its own, written from
// X.690 and RFC 4511, so the gateway's client is checked against an independent reading.
import net, { type AddressInfo } from 'node:net'
import tls from 'node:tls'

export interface LdapServerOptions {
  /** DN → password of the directory's users. */
  users: Record<string, string>
  /** Serve LDAPS with this certificate and key. */
  tls?: { cert: string; key: string }
  /** Accept StartTLS with this certificate and key. */
  startTls?: { cert: string; key: string }
}

export interface LdapServer {
  port: number
  /** Every simple bind received: its DN and password, in order. */
  binds: { dn: string; password: string }[]
  /** Accept connections but never answer (a hung directory). */
  silent: boolean
  close(): Promise<void>
}

interface Element {
  tag: number
  value: Buffer
  end: number
}

function element(buf: Buffer, at: number): Element | null {
  if (buf.length < at + 2) return null
  let len = buf[at + 1]
  let start = at + 2
  if (len >= 0x80) {
    const n = len - 0x80
    if (buf.length < start + n) return null
    len = 0
    for (let i = 0; i < n; i++) len = (len << 8) | buf[start + i]
    start += n
  }
  if (buf.length < start + len) return null
  return { tag: buf[at], value: buf.subarray(start, start + len), end: start + len }
}

function elements(value: Buffer): Element[] {
  const out: Element[] = []
  for (let at = 0; at < value.length; ) {
    const e = element(value, at)
    if (!e) throw new Error('truncated')
    out.push(e)
    at = e.end
  }
  return out
}

function encode(tag: number, value: Buffer): Buffer {
  const len =
    value.length < 0x80
      ? Buffer.from([value.length])
      : Buffer.from([0x82, value.length >> 8, value.length & 0xff])
  return Buffer.concat([Buffer.from([tag]), len, value])
}

/** An LDAPMessage carrying an LDAPResult-shaped response. */
function response(id: Buffer, op: number, code: number, diagnostic: string): Buffer {
  const result = Buffer.concat([
    encode(0x0a, Buffer.from([code])),
    encode(0x04, Buffer.alloc(0)),
    encode(0x04, Buffer.from(diagnostic)),
  ])
  return encode(0x30, Buffer.concat([encode(0x02, id), encode(op, result)]))
}

export async function startLdapServer(opts: LdapServerOptions): Promise<LdapServer> {
  const sockets = new Set<net.Socket>()
  const state: LdapServer = {
    port: 0,
    binds: [],
    silent: false,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  const serve = (socket: net.Socket): void => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      if (state.silent) return
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        const msg = element(buf, 0)
        if (!msg) return
        buf = buf.subarray(msg.end)
        const [id, op] = elements(msg.value)
        if (op.tag === 0x60) {
          // BindRequest: version, name, [0] simple password
          const [, name, auth] = elements(op.value)
          const dn = name.value.toString('utf8')
          const password = auth.value.toString('utf8')
          state.binds.push({ dn, password })
          const ok = auth.tag === 0x80 && password !== '' && opts.users[dn] === password
          socket.write(response(id.value, 0x61, ok ? 0 : 49, ok ? '' : 'invalid credentials'))
        } else if (op.tag === 0x42) {
          socket.end()
          return
        } else if (op.tag === 0x77 && opts.startTls) {
          socket.write(response(id.value, 0x78, 0, ''))
          socket.off('data', onData)
          const secure = new tls.TLSSocket(socket, { isServer: true, ...opts.startTls })
          secure.on('error', () => {})
          serve(secure)
          return
        } else {
          socket.write(response(id.value, op.tag === 0x77 ? 0x78 : 0x61, 2, 'unsupported operation'))
        }
      }
    }
    socket.on('data', onData)
  }

  const server = opts.tls
    ? tls.createServer({ ...opts.tls }, (s) => serve(s))
    : net.createServer((s) => serve(s))
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  state.port = (server.address() as AddressInfo).port
  return state
}
