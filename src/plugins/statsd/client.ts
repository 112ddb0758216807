// The StatsD line protocol and its transport. One `StatsdBatch` per queue batch: lines are sent
// as they are made, one datagram each, or gathered into datagrams of up to `udp_packet_size`
// bytes (separated by `\n`); over TCP each line ends with `\n`. Sockets are kept per server and
// reused across batches (UDP sockets are connected, so sends need no name lookup).
import dgram from 'node:dgram'
import net from 'node:net'
import { backgroundLog } from '../shared/background.js'

export const STAT_KINDS: Record<string, string> = {
  gauge: 'g',
  counter: 'c',
  timer: 'ms',
  histogram: 'h',
  meter: 'm',
  set: 's',
}

export type Tags = [string, string | number][]

/**
 * One StatsD line. Tag styles: dogstatsd `name:1|c|#k:v,k2:v2`, influxdb `name,k=v:1|c`,
 * librato `name#k=v:1|c`, signalfx `name[k=v]:1|c`. Without tags (or style): `name:1|c`.
 */
export function statsdLine(
  prefix: string,
  stat: string,
  delta: string | number,
  kind: string,
  sampleRate: number | null | undefined,
  tags: Tags | null,
  style: string | null,
): string {
  const rate = sampleRate !== null && sampleRate !== undefined && sampleRate !== 1 ? `|@${sampleRate}` : ''
  if (style === null || tags === null) return `${prefix}.${stat}:${delta}|${kind}${rate}`
  switch (style) {
    case 'dogstatsd':
      return `${prefix}.${stat}:${delta}|${kind}${rate}|#${tags.map(([k, v]) => `${k}:${v}`).join(',')}`
    case 'influxdb':
      return `${prefix}.${stat},${tags.map(([k, v]) => `${k}=${v}`).join(',')}:${delta}|${kind}${rate}`
    case 'librato':
      return `${prefix}.${stat}#${tags.map(([k, v]) => `${k}=${v}`).join(',')}:${delta}|${kind}${rate}`
    default:
      return `${prefix}.${stat}[${tags.map(([k, v]) => `${k}=${v}`).join(',')}]:${delta}|${kind}${rate}`
  }
}

interface Transport {
  send(data: string): void
}

class UdpTransport implements Transport {
  private readonly socket: dgram.Socket
  readonly ready: Promise<void>
  broken = false

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    this.socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4')
    this.socket.unref()
    this.socket.on('error', (err) => {
      this.broken = true
      backgroundLog('error', `[statsd] failed to send data to ${host}:${port}: ${err.message}`)
      this.socket.close()
    })
    this.ready = new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(err)
      this.socket.once('error', failed)
      this.socket.connect(port, host, () => {
        this.socket.off('error', failed)
        resolve()
      })
    })
  }

  send(data: string): void {
    if (this.broken) return
    this.socket.send(data, (err) => {
      // a refused datagram (nothing listening) is reported on the next send: the line is lost,
      // as it would be with any UDP sender
      if (err)
        backgroundLog('error', `[statsd] failed to send data to ${this.host}:${this.port}: ${err.message}`)
    })
  }
}

class TcpTransport implements Transport {
  private readonly socket: net.Socket
  readonly ready: Promise<void>
  broken = false

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    this.socket = net.connect({ host, port })
    this.socket.unref()
    this.socket.setTimeout(1000)
    this.ready = new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => {
        this.socket.setTimeout(0)
        resolve()
      })
      this.socket.once('timeout', () => this.socket.destroy(new Error('timeout')))
      this.socket.once('error', reject)
    })
    this.socket.on('error', (err) => {
      if (!this.broken)
        backgroundLog('error', `[statsd] failed to send data to ${host}:${port}: ${err.message}`)
      this.broken = true
    })
    this.socket.on('close', () => {
      this.broken = true
    })
    // the server has nothing to say; whatever it sends is dropped
    this.socket.resume()
  }

  send(data: string): void {
    if (!this.broken) this.socket.write(`${data}\n`)
  }
}

const transports = new Map<string, UdpTransport | TcpTransport>()

/** A connected transport to the server (reused while it works); rejects when it cannot connect. */
async function transportFor(host: string, port: number, tcp: boolean): Promise<Transport> {
  const key = `${tcp ? 'tcp' : 'udp'}|${host}|${port}`
  let t = transports.get(key)
  if (t === undefined || t.broken) {
    t = tcp ? new TcpTransport(host, port) : new UdpTransport(host, port)
    transports.set(key, t)
  }
  try {
    await t.ready
  } catch (err) {
    t.broken = true
    if (transports.get(key) === t) transports.delete(key)
    throw new Error(
      `failed to connect to ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  return t
}

export class StatsdBatch {
  private buffer: string[] = []
  private bufferSize = 0

  private constructor(
    private readonly transport: Transport,
    private readonly packetSize: number,
  ) {}

  static async open(host: string, port: number, tcp: boolean, udpPacketSize: number): Promise<StatsdBatch> {
    return new StatsdBatch(await transportFor(host, port, tcp), tcp ? 0 : udpPacketSize)
  }

  /** Sends a line now, or adds it to the datagram being filled (sending the previous one when full). */
  send(line: string): void {
    let data = line
    if (this.packetSize > 0) {
      const size = Buffer.byteLength(line)
      const newSize = this.bufferSize + size
      if (newSize <= this.packetSize) {
        this.buffer.push(line)
        this.bufferSize = newSize + 1
        return
      }
      const empty = this.bufferSize === 0
      if (empty)
        backgroundLog(
          'warn',
          `[statsd] configured udp_packet_size is smaller than single message of length ${size}, UDP packet may be truncated`,
        )
      data = this.buffer.join('\n')
      this.buffer = [line]
      this.bufferSize = size
      // nothing was waiting: this line goes with the next datagram
      if (empty) return
    }
    this.transport.send(data)
  }

  /** Sends what is still gathered. */
  close(): void {
    if (this.packetSize > 0 && this.bufferSize > 0) this.transport.send(this.buffer.join('\n'))
    this.buffer = []
    this.bufferSize = 0
  }
}
