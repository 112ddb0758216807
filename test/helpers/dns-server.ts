// A small authoritative DNS server on 127.0.0.1 (UDP) for tests: answers A, AAAA and SRV queries
// from a zone the test can change at any time, NXDOMAIN for unknown names, and counts queries.
import dgram from 'node:dgram'
import net, { type AddressInfo } from 'node:net'

export interface Zone {
  [name: string]: {
    /** Answer over UDP with the TC bit and no records: the full answer only over TCP. */
    truncate?: boolean
    A?: { ip: string; ttl: number }[]
    AAAA?: { ip: string; ttl: number }[]
    SRV?: { priority: number; weight: number; port: number; target: string; ttl: number }[]
  }
}

export interface DnsServer {
  port: number
  /** `127.0.0.1:<port>`, for dns_resolver. */
  address: string
  zone: Zone
  queries: { name: string; type: string }[]
  close(): Promise<void>
}

const TYPES: Record<number, 'A' | 'AAAA' | 'SRV'> = { 1: 'A', 28: 'AAAA', 33: 'SRV' }

function encodeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]))
  return Buffer.concat([...parts, Buffer.from([0])])
}

function readQuestion(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = []
  let pos = 12
  while (msg[pos] !== 0) {
    labels.push(msg.toString('utf8', pos + 1, pos + 1 + msg[pos]))
    pos += 1 + msg[pos]
  }
  return { name: labels.join('.'), type: msg.readUInt16BE(pos + 1), end: pos + 5 }
}

function record(name: string, type: number, ttl: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(10)
  head.writeUInt16BE(type, 0)
  head.writeUInt16BE(1, 2)
  head.writeUInt32BE(ttl, 4)
  head.writeUInt16BE(rdata.length, 8)
  return Buffer.concat([encodeName(name), head, rdata])
}

export async function startDnsServer(zone: Zone = {}): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4')
  const state: DnsServer = {
    port: 0,
    address: '',
    zone,
    queries: [],
    close: async () => {
      await new Promise<void>((r) => socket.close(() => r()))
      await new Promise<void>((r) => tcp.close(() => r()))
    },
  }
  /** The answer message to a query message (`tcp`: not truncated). */
  const answer = (msg: Buffer, tcp: boolean): Buffer => {
    const q = readQuestion(msg)
    const type = TYPES[q.type]
    state.queries.push({ name: q.name, type: type ?? String(q.type) })
    const entry = state.zone[q.name.toLowerCase()]
    const answers: Buffer[] = []
    if (entry && type === 'A')
      for (const a of entry.A ?? [])
        answers.push(record(q.name, 1, a.ttl, Buffer.from(a.ip.split('.').map(Number))))
    if (entry && type === 'AAAA')
      for (const a of entry.AAAA ?? []) {
        const b = Buffer.alloc(16)
        // expand `::` to the missing zero groups
        const [head, tail] = a.ip.includes('::') ? a.ip.split('::') : [a.ip, '']
        const left = head ? head.split(':') : []
        const right = tail ? tail.split(':') : []
        const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
        for (let i = 0; i < 8; i++) b.writeUInt16BE(Number.parseInt(groups[i], 16), i * 2)
        answers.push(record(q.name, 28, a.ttl, b))
      }
    if (entry && type === 'SRV')
      for (const s of entry.SRV ?? []) {
        const fixed = Buffer.alloc(6)
        fixed.writeUInt16BE(s.priority, 0)
        fixed.writeUInt16BE(s.weight, 2)
        fixed.writeUInt16BE(s.port, 4)
        answers.push(record(q.name, 33, s.ttl, Buffer.concat([fixed, encodeName(s.target)])))
      }
    const truncated = !tcp && entry?.truncate === true
    const head = Buffer.alloc(12)
    head.writeUInt16BE(msg.readUInt16BE(0), 0)
    // response, authoritative, (truncated,) recursion available; NXDOMAIN for unknown names
    head.writeUInt16BE(0x8480 | (truncated ? 0x0200 : 0) | (entry ? 0 : 3), 2)
    head.writeUInt16BE(1, 4)
    head.writeUInt16BE(truncated ? 0 : answers.length, 6)
    return Buffer.concat([head, msg.subarray(12, q.end), ...(truncated ? [] : answers)])
  }
  socket.on('message', (msg, rinfo) => socket.send(answer(msg, false), rinfo.port, rinfo.address))
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  state.port = (socket.address() as AddressInfo).port
  // the same zone over TCP, on the same port
  const tcp = net.createServer((c) => {
    let buf = Buffer.alloc(0)
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return
      const reply = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)), true)
      const len = Buffer.alloc(2)
      len.writeUInt16BE(reply.length)
      c.end(Buffer.concat([len, reply]))
    })
    c.on('error', () => {})
  })
  await new Promise<void>((r) => tcp.listen(state.port, '127.0.0.1', r))
  state.address = `127.0.0.1:${state.port}`
  return state
}
