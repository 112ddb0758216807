// Per-connection state of the proxy listeners, kept on the socket: requests in flight (for
// draining), and nginx's `$connection` (serial number in this worker) and
// `$connection_requests` (requests made on the connection so far) for `kong.nginx.getVar`.
import type { Socket } from 'node:net'

export interface SocketState {
  active: number
  idleSince: number
  /** Serial number of the connection in this worker (from 1). */
  serial: number
  /** Requests received on the connection so far, the current one included. */
  requests: number
}

const STATE = Symbol('silverback.socketState')
let serials = 0

export function socketState(socket: Socket): SocketState {
  const holder = socket as Socket & { [STATE]?: SocketState }
  let state = holder[STATE]
  if (!state) {
    state = { active: 0, idleSince: Date.now(), serial: ++serials, requests: 0 }
    holder[STATE] = state
  }
  return state
}
