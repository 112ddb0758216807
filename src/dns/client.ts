// A small DNS client for what node:dns does not give: SRV records with their TTLs (RFC 1035
// messages, RFC 2782 SRV). One query per socket over UDP, answered or timed out; a truncated
// answer is asked again over TCP. CNAMEs in the answer are followed to the records of the name
// asked for.
import dgram from 'node:dgram'
import net, { isIP } from 'node:net'

export type RecordType = 'A' | 'AAAA' | 'SRV'

const TYPE_CODES: Record<RecordType, number> = { A: 1, AAAA: 28, SRV: 33 }
const CNAME = 5

export interface DnsRecord {
  type: RecordType
  ttl: number
  /** A/AAAA: the address; SRV: the target name. */
  address: string
  priority?: number
  weight?: number
  port?: number
}

export class DnsQueryError extends Error {
  constructor(
    message: string,
    /** NXDOMAIN (rcode 3): the name does not exist. */
    readonly notFound: boolean,
  ) {
    super(message)
  }
}

export interface NameServer {
  host: string
  port: number
}

/** `ip[:port]` / `[ipv6]:port` → a name server (port 53 by default). */
export function parseNameServer(s: string): NameServer {
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    return { host: s.slice(1, end), port: Number(s.slice(end + 2)) || 53 }
  }
  if (isIP(s) === 6) return { host: s, port: 53 }
  const colon = s.lastIndexOf(':')
  return colon === -1
    ? { host: s, port: 53 }
    : { host: s.slice(0, colon), port: Number(s.slice(colon + 1)) || 53 }
}

function encodeQuery(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.')
  const qname = Buffer.concat([
    ...labels.map((l) => {
      const b = Buffer.from(l, 'utf8')
      return Buffer.concat([Buffer.from([b.length]), b])
    }),
    Buffer.from([0]),
  ])
  const head = Buffer.alloc(12)
  head.writeUInt16BE(id, 0)
  head.writeUInt16BE(0x0100, 2) // recursion desired
  head.writeUInt16BE(1, 4) // one question
  const tail = Buffer.alloc(4)
  tail.writeUInt16BE(type, 0)
  tail.writeUInt16BE(1, 2) // IN
  return Buffer.concat([head, qname, tail])
}

/** Reads a (possibly compressed) name at `offset`; returns it and the offset after it. */
function readName(msg: Buffer, offset: number): [string, number] {
  const labels: string[] = []
  let pos = offset
  let end = -1
  for (let jumps = 0; jumps < 64; jumps++) {
    const len = msg[pos]
    if (len === undefined) throw new Error('truncated name')
    if (len === 0) {
      if (end === -1) end = pos + 1
      return [labels.join('.'), end]
    }
    if ((len & 0xc0) === 0xc0) {
      if (end === -1) end = pos + 2
      pos = ((len & 0x3f) << 8) | msg[pos + 1]
      continue
    }
    labels.push(msg.toString('utf8', pos + 1, pos + 1 + len))
    pos += 1 + len
  }
  throw new Error('name compression loop')
}

/** An IPv6 address written in full (8 groups of 4 digits), as targets are stored. */
function ipv6(b: Buffer): string {
  const parts: string[] = []
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16).padStart(4, '0'))
  return parts.join(':')
}

/** The records of `type` for `name` in a response message (following CNAMEs). */
export function parseResponse(msg: Buffer, name: string, type: RecordType): DnsRecord[] {
  const rcode = msg.readUInt16BE(2) & 0x0f
  if (rcode === 3) throw new DnsQueryError(`dns server error: 3 name error`, true)
  if (rcode !== 0) throw new DnsQueryError(`dns server error: ${rcode}`, false)
  const qd = msg.readUInt16BE(4)
  const an = msg.readUInt16BE(6)
  let pos = 12
  for (let i = 0; i < qd; i++) pos = readName(msg, pos)[1] + 4
  const want = TYPE_CODES[type]
  const names = new Set([name.toLowerCase().replace(/\.$/, '')])
  const out: DnsRecord[] = []
  for (let i = 0; i < an; i++) {
    const [owner, after] = readName(msg, pos)
    const rtype = msg.readUInt16BE(after)
    const ttl = msg.readUInt32BE(after + 4)
    const rdlen = msg.readUInt16BE(after + 8)
    const rdata = after + 10
    pos = rdata + rdlen
    if (!names.has(owner.toLowerCase())) continue
    if (rtype === CNAME) {
      names.add(readName(msg, rdata)[0].toLowerCase())
      continue
    }
    if (rtype !== want) continue
    if (type === 'A') out.push({ type, ttl, address: [...msg.subarray(rdata, rdata + 4)].join('.') })
    else if (type === 'AAAA') out.push({ type, ttl, address: ipv6(msg.subarray(rdata, rdata + 16)) })
    else
      out.push({
        type,
        ttl,
        priority: msg.readUInt16BE(rdata),
        weight: msg.readUInt16BE(rdata + 2),
        port: msg.readUInt16BE(rdata + 4),
        address: readName(msg, rdata + 6)[0],
      })
  }
  return out
}

let nextId = 1

/** Asks `server` for `type` records of `name`; rejects with DnsQueryError (or on timeout). */
export function query(
  server: NameServer,
  name: string,
  type: RecordType,
  timeoutMs = 2000,
): Promise<DnsRecord[]> {
  return new Promise((resolve, reject) => {
    const id = nextId++ & 0xffff
    const socket = dgram.createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4')
    const done = (err: Error | null, records?: DnsRecord[]) => {
      clearTimeout(timer)
      socket.close()
      if (err) reject(err)
      else resolve(records ?? [])
    }
    const timer = setTimeout(() => done(new DnsQueryError('dns server error: timeout', false)), timeoutMs)
    socket.on('error', (err) => done(new DnsQueryError(`dns server error: ${err.message}`, false)))
    socket.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return
      if (msg.readUInt16BE(2) & 0x0200) {
        // truncated: the whole answer over TCP
        clearTimeout(timer)
        socket.close()
        queryTcp(server, name, type, timeoutMs).then(resolve, reject)
        return
      }
      try {
        done(null, parseResponse(msg, name, type))
      } catch (err) {
        done(
          err instanceof DnsQueryError ? err : new DnsQueryError(`dns server error: ${String(err)}`, false),
        )
      }
    })
    socket.send(encodeQuery(id, name, TYPE_CODES[type]), server.port, server.host)
  })
}

/** The same query over TCP (each message prefixed with its 2-byte length). */
function queryTcp(
  server: NameServer,
  name: string,
  type: RecordType,
  timeoutMs: number,
): Promise<DnsRecord[]> {
  return new Promise((resolve, reject) => {
    const id = nextId++ & 0xffff
    const socket = net.connect({ host: server.host, port: server.port })
    let received = Buffer.alloc(0)
    const done = (err: Error | null, records?: DnsRecord[]) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(records ?? [])
    }
    const timer = setTimeout(() => done(new DnsQueryError('dns server error: timeout', false)), timeoutMs)
    socket.on('error', (err) => done(new DnsQueryError(`dns server error: ${err.message}`, false)))
    socket.on('connect', () => {
      const q = encodeQuery(id, name, TYPE_CODES[type])
      const len = Buffer.alloc(2)
      len.writeUInt16BE(q.length)
      socket.write(Buffer.concat([len, q]))
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return
      const msg = received.subarray(2, 2 + received.readUInt16BE(0))
      try {
        done(null, parseResponse(msg, name, type))
      } catch (err) {
        done(
          err instanceof DnsQueryError ? err : new DnsQueryError(`dns server error: ${String(err)}`, false),
        )
      }
    })
  })
}
