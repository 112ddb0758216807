// The proxy access log (`proxy_access_log`, default logs/access.log): one line per request in
// Kong's kong_log_format, written by each worker in append mode (O_APPEND keeps the workers'
// lines whole):
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//   "$http_referer" "$http_user_agent" kong_request_id: "$kong_request_id"
import type { ServerResponse } from 'node:http'
import { AccessLog } from '../log/logger.js'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const two = (n: number) => (n < 10 ? `0${n}` : String(n))

/** nginx's $time_local (in UTC): `29/Nov/2026:03:10:00 +0000`, made once per second. */
let stampSecond = -1
let stamp = ''
export function timeLocal(now = Date.now()): string {
  const second = Math.floor(now / 1000)
  if (second !== stampSecond) {
    const d = new Date(second * 1000)
    stamp = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
    stampSecond = second
  }
  return stamp
}

/** The request id a response carries for the access log (set by the handler). */
export const REQUEST_ID = Symbol('kong request id')

type LoggedResponse = ServerResponse & { [REQUEST_ID]?: string }

/** Escapes a logged value as nginx does: `"`, backslash, control and non-ASCII bytes as \xHH. */
function quoted(v: string | string[] | undefined): string {
  if (v === undefined) return '-'
  const s = Array.isArray(v) ? v.join(', ') : v
  let out = ''
  let from = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue
    out += `${s.slice(from, i)}\\x${c.toString(16).toUpperCase().padStart(2, '0')}`
    from = i + 1
  }
  return from === 0 ? s : out + s.slice(from)
}

export class ProxyAccessLog {
  private readonly out: AccessLog

  constructor(file: string) {
    this.out = new AccessLog(file)
  }

  /** Logs the request `res` answered (call once the response is over). */
  write(res: ServerResponse): void {
    const req = res.req
    const bytes = Number(res.getHeader('content-length') ?? 0) || 0
    const id = (res as LoggedResponse)[REQUEST_ID] ?? ''
    this.out.write(
      `${req.socket.remoteAddress ?? '-'} - - [${timeLocal()}] "${quoted(`${req.method} ${req.url} HTTP/${req.httpVersion}`)}" ${res.statusCode} ${bytes} "${quoted(req.headers.referer)}" "${quoted(req.headers['user-agent'])}" kong_request_id: "${id}"`,
    )
  }

  close(): Promise<void> {
    return this.out.close()
  }
}
