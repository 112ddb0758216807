// kong.nginx.getVar: the nginx request variables plugins read (js-plugins.md §kong.nginx), from
// what the gateway knows of the request and its connection.
import { socketState } from '../proxy/connection.js'
import { firstValue } from './headers.js'
import type { RequestState } from './state.js'

/** `::ffff:1.2.3.4` → `1.2.3.4` (nginx prints IPv4 clients of a dual-stack socket as IPv4). */
function plainIp(ip: string | undefined): string {
  if (ip === undefined) return ''
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

/** The value of `$name`, or null when unset or unknown. */
export function nginxVar(s: RequestState, name: string): string | null {
  const socket = s.req.socket
  switch (name) {
    case 'server_addr':
      return plainIp(socket.localAddress)
    case 'server_port':
      return String(socket.localPort ?? s.listener.port)
    case 'remote_addr':
      return plainIp(s.peer)
    case 'remote_port':
      return socket.remotePort === undefined ? null : String(socket.remotePort)
    case 'connection':
      return String(socketState(socket).serial)
    case 'connection_requests':
      return String(Math.max(1, socketState(socket).requests))
    case 'scheme':
      return s.listener.scheme
    case 'host': {
      const host = (s.head.host ?? '').toLowerCase()
      return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]
    }
    case 'request_method':
      return s.req.method ?? 'GET'
    case 'request_uri':
      return s.rawUrl
    case 'uri':
      return s.path
    case 'args': {
      const q = s.rawUrl.indexOf('?')
      return q === -1 ? null : s.rawUrl.slice(q + 1)
    }
    case 'upstream_uri':
      return s.upstreamUri === '' ? null : s.upstreamUri
    case 'upstream_status':
      return s.upstreamStatus === null ? null : String(s.upstreamStatus)
    case 'request_time':
      return (s.elapsedMs() / 1000).toFixed(3)
    default:
      return name.startsWith('http_') ? firstValue(s.req.rawHeaders, name.slice(5)) : null
  }
}
