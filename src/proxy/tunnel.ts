// Protocol upgrades (WebSocket, proxying.md §5): a request with `Upgrade: websocket` is routed and
// forwarded like any other; when the upstream answers 101 Switching Protocols, its head is
// relayed to the client and the two connections are joined until either side closes. The
// service's read timeout keeps applying to the tunnel as an inactivity timeout.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

/** The client side of an upgrade request: its socket and the bytes that followed the head. */
export interface ClientUpgrade {
  socket: Duplex
  head: Buffer
}

/**
 * A response object for a request that node:http handed over as an upgrade (no response exists
 * then): gateway errors and refused upgrades are written through it, then the connection ends.
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new http.ServerResponse(req)
  res.shouldKeepAlive = false
  res.assignSocket(socket as never)
  res.on('finish', () => socket.end())
  return res
}

/** Whether a request asks for a WebSocket upgrade (`Connection: upgrade` + `Upgrade: websocket`). */
export function wantsWebSocket(upgrade: string | undefined, connection: string | undefined): boolean {
  if (upgrade === undefined || connection === undefined || upgrade.toLowerCase() !== 'websocket') return false
  for (const t of connection.split(',')) if (t.trim().toLowerCase() === 'upgrade') return true
  return false
}

/**
 * Writes the 101 head to the client and joins the sockets. `headers` is the flat list of
 * response headers to relay; `upstreamHead`/`client.head` are bytes already read past each head.
 */
export function openTunnel(
  client: ClientUpgrade,
  upstream: Duplex,
  headers: readonly string[],
  upstreamHead: Buffer,
  inactivityMs: number,
): void {
  const { socket } = client
  let head = 'HTTP/1.1 101 Switching Protocols\r\n'
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
  head += '\r\n'
  const close = (): void => {
    socket.destroy()
    upstream.destroy()
  }
  socket.on('error', close)
  upstream.on('error', close)
  socket.on('close', close)
  upstream.on('close', close)
  // The upstream socket's timer counts traffic both ways: the tunnel ends after `inactivityMs`
  // without a byte in either direction.
  const timed = upstream as Duplex & { setTimeout?: (ms: number, cb: () => void) => void }
  if (inactivityMs > 0) timed.setTimeout?.(inactivityMs, close)
  socket.write(head, 'latin1')
  if (upstreamHead.length > 0) socket.write(upstreamHead)
  if (client.head.length > 0) upstream.write(client.head)
  upstream.pipe(socket)
  socket.pipe(upstream)
  upstream.resume()
}
