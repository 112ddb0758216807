// A minimal LDAP client: one simple bind per connection (RFC 4511 §4.2), over TCP, LDAPS or
// StartTLS, then an unbind. ldapts (the maintained TypeScript client) needs Node 22 from its
// current major, and a bind is all this plugin asks of a directory.
import net from 'node:net'
import tls from 'node:tls'
import {
  bindRequest,
  type LdapMessage,
  parseMessage,
  parseResult,
  readTlv,
  START_TLS_OID,
  startTlsRequest,
  TAG,
  unbindRequest,
} from './ber.js'

export interface BindOptions {
  host: string
  port: number
  /** TLS from the first byte (LDAPS). */
  ldaps: boolean
  /** Plain connection upgraded with the StartTLS extended operation. */
  startTls: boolean
  /** Verify the server's certificate (against the system CAs) and its name. */
  verify: boolean
  /** Milliseconds the whole exchange may take. */
  timeout: number
  dn: string
  password: Buffer
}

/** resultCode 0 (success) or the directory's refusal (49: invalidCredentials...). */
export interface BindResult {
  ok: boolean
  code: number
  diagnostic: string
}

/** The directory could not be asked: connection, TLS, timeout or protocol failure. */
export class LdapError extends Error {}

/** Reads whole LDAPMessages off a socket, one at a time. */
class Reader {
  private buf = Buffer.alloc(0)
  private waiter: ((m: LdapMessage) => void) | null = null
  private failer: ((e: Error) => void) | null = null
  private failure: Error | null = null

  constructor(private socket: net.Socket) {
    this.attach(socket)
  }

  /** Reads from another socket (after StartTLS, the TLS socket over the plain one). */
  attach(socket: net.Socket): void {
    this.socket.removeAllListeners('data')
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk])
      this.deliver()
    })
    socket.on('error', (e) => this.fail(new LdapError(e.message)))
    socket.on('close', () => this.fail(new LdapError('connection closed by the LDAP server')))
  }

  fail(e: Error): void {
    if (this.failure) return
    this.failure = e
    this.failer?.(e)
  }

  private deliver(): void {
    if (!this.waiter) return
    let element: ReturnType<typeof readTlv>
    let msg: LdapMessage
    try {
      element = readTlv(this.buf)
      if (!element) return
      msg = parseMessage(element)
    } catch (e) {
      this.fail(new LdapError(`invalid LDAP message: ${(e as Error).message}`))
      return
    }
    this.buf = this.buf.subarray(element.size)
    const w = this.waiter
    this.waiter = null
    this.failer = null
    w(msg)
  }

  next(): Promise<LdapMessage> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure)
      this.waiter = resolve
      this.failer = reject
      this.deliver()
    })
  }
}

function connect(opts: BindOptions, sockets: net.Socket[]): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) =>
      reject(new LdapError(`failed to connect to ${opts.host}:${opts.port}: ${e.message}`))
    const socket = opts.ldaps
      ? tls.connect({ host: opts.host, port: opts.port, ...tlsOptions(opts) }, () => done())
      : net.connect({ host: opts.host, port: opts.port }, () => done())
    sockets.push(socket)
    const done = () => {
      socket.off('error', onError)
      resolve(socket)
    }
    socket.once('error', onError)
  })
}

function tlsOptions(opts: BindOptions): tls.ConnectionOptions {
  return {
    rejectUnauthorized: opts.verify,
    ...(net.isIP(opts.host) === 0 ? { servername: opts.host } : {}),
  }
}

function upgrade(socket: net.Socket, opts: BindOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, ...tlsOptions(opts) }, () => {
      secure.off('error', onError)
      resolve(secure)
    })
    const onError = (e: Error) =>
      reject(new LdapError(`failed to do SSL handshake with ${opts.host}:${opts.port}: ${e.message}`))
    secure.once('error', onError)
  })
}

async function exchange(opts: BindOptions, sockets: net.Socket[]): Promise<BindResult> {
  let socket = await connect(opts, sockets)
  const reader = new Reader(socket)
  let id = 1
  if (opts.startTls) {
    socket.write(startTlsRequest(id))
    const answer = await reader.next()
    const result = answer.op === TAG.EXTENDED_RESPONSE ? parseResult(answer.body) : null
    if (result?.code !== 0) {
      throw new LdapError(`StartTLS (${START_TLS_OID}) refused: ${result?.diagnostic ?? 'unexpected answer'}`)
    }
    id++
    socket.removeAllListeners('data')
    socket = await upgrade(socket, opts)
    sockets.push(socket)
    reader.attach(socket)
  }
  socket.write(bindRequest(id, opts.dn, opts.password))
  const answer = await reader.next()
  if (answer.op !== TAG.BIND_RESPONSE || answer.id !== id) {
    throw new LdapError(`unexpected LDAP answer (operation 0x${answer.op.toString(16)}) to a bind`)
  }
  const result = parseResult(answer.body)
  socket.end(unbindRequest(id + 1))
  return { ok: result.code === 0, code: result.code, diagnostic: result.diagnostic }
}

/**
 * Binds as `dn` with `password` and closes the connection. Resolves with the directory's answer;
 * rejects with LdapError when it could not be had within `timeout` milliseconds.
 */
export async function ldapBind(opts: BindOptions): Promise<BindResult> {
  const sockets: net.Socket[] = []
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LdapError(`timeout talking to ${opts.host}:${opts.port} after ${opts.timeout}ms`)),
      opts.timeout,
    )
  })
  try {
    return await Promise.race([exchange(opts, sockets), deadline])
  } catch (e) {
    for (const s of sockets) s.destroy()
    throw e instanceof LdapError ? e : new LdapError((e as Error).message)
  } finally {
    clearTimeout(timer)
  }
}
