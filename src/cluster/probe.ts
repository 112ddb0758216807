// One active health probe (balancer.md §6.4): a TCP connect, or an HTTP(S) `GET <http_path>`
// whose status line is classified by the caller. Never throws: the outcome is a report.
import net from 'node:net'
import tls from 'node:tls'
import type { HealthEvent } from '../balancer/health.js'

export interface ProbeSpec {
  type: string
  host: string
  port: number
  /** Seconds for connect, send and receive. */
  timeout: number
  path: string
  /** The Host header (and SNI unless `sni` is set). */
  hostHeader: string
  sni: string | null
  verify: boolean
  headers: Record<string, string[]> | null
  /** Client certificate and key (PEM) for https probes (the upstream's client_certificate). */
  cert?: { cert: string; key: string } | null
}

/** The probe's outcome: a status (http/https) or an event (tcp, and failures). */
export type ProbeResult = { status: number } | { event: HealthEvent }

/** A Host header without its port (and IPv6 brackets): the TLS server name. */
function hostOnly(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'))
  const colon = host.lastIndexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}

export function probe(spec: ProbeSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false
    const finish = (r: ProbeResult) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(r)
    }
    const secure = spec.type === 'https' || spec.type === 'grpcs'
    const name = spec.sni ?? hostOnly(spec.hostHeader)
    let socket: net.Socket
    try {
      socket = secure
        ? tls.connect({
            host: spec.host,
            port: spec.port,
            servername: net.isIP(name) ? undefined : name,
            rejectUnauthorized: spec.verify,
            ...(spec.cert ? { cert: spec.cert.cert, key: spec.cert.key } : {}),
          })
        : net.connect({ host: spec.host, port: spec.port })
    } catch {
      // e.g. a client certificate that is not PEM: the probe fails, the node does not
      resolve({ event: 'tcp' })
      return
    }
    const timer = setTimeout(() => finish({ event: 'timeout' }), Math.max(1, spec.timeout * 1000))
    socket.on('error', () => finish({ event: 'tcp' }))
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (spec.type === 'tcp') {
        finish({ event: 'success' })
        return
      }
      let head = `GET ${spec.path} HTTP/1.0\r\nHost: ${spec.hostHeader}\r\n`
      for (const [name, values] of Object.entries(spec.headers ?? {}))
        for (const v of values) head += `${name}: ${v}\r\n`
      socket.write(`${head}\r\n`)
      let received = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => {
        received += chunk
        const eol = received.indexOf('\r\n')
        if (eol === -1 && received.length < 1024) return
        const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(received)
        finish(m ? { status: Number(m[1]) } : { event: 'http' })
      })
      socket.on('end', () => finish({ event: 'tcp' }))
    })
  })
}
