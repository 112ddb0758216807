// kong.log (plugins.md §4.8): log lines namespaced by plugin, and the standard log entry
// (`serialize`) that logging plugins send.
import { inspect as utilInspect } from 'node:util'
import type { LogLevel } from '../log/logger.js'
import { headerTable } from './headers.js'
import { checkPhase, P } from './phase.js'
import type { RequestState } from './state.js'
import type { KongLog, Row } from './types.js'

const REDACTED_HEADERS = ['authorization', 'proxy-authorization']

function requestLine(s: RequestState): string {
  const r = s.req
  return `${r.method} ${s.rawUrl} HTTP/${r.httpVersion}`
}

/** Writes one line as Kong does: `[plugin] message, client: …, server: kong, request: "…"`. */
export function pluginLog(s: RequestState, level: LogLevel, args: readonly unknown[]): void {
  const log = s.env.log
  if (!log.enabled(level)) return
  const name = s.current?.name ?? 'kong'
  const text = args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a)))
    .join('')
  log.log(
    level,
    `[${name}] ${text}, client: ${s.peer}, server: kong, request: "${requestLine(s)}", host: "${s.head.host ?? ''}"`,
  )
}

function splitKey(key: string): string[] {
  // Dots separate levels; `\.` is a literal dot.
  const parts: string[] = []
  let cur = ''
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '\\' && key[i + 1] === '.') {
      cur += '.'
      i++
    } else if (key[i] === '.') {
      parts.push(cur)
      cur = ''
    } else cur += key[i]
  }
  parts.push(cur)
  return parts
}

function applyOverride(entry: Row, key: string, value: unknown, mode: 'set' | 'add' | 'replace'): void {
  const path = splitKey(key)
  let node: Row = entry
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]]
    if (next === null || typeof next !== 'object') {
      if (mode === 'replace') return
      node[path[i]] = {}
    }
    node = node[path[i]] as Row
  }
  const last = path[path.length - 1]
  const exists = node[last] !== undefined
  if ((mode === 'add' && exists) || (mode === 'replace' && !exists)) return
  if (value === undefined || value === null) delete node[last]
  else node[last] = value
}

/** The log entry of a request (plugins.md §4.8). */
export function serialize(s: RequestState): Row {
  const req = s.req
  const headers = headerTable(req.rawHeaders, 1000)
  for (const h of REDACTED_HEADERS) if (headers[h] !== undefined) headers[h] = 'REDACTED'
  const host = s.head.host ?? ''
  const url = `${s.listener.scheme}://${host}${s.rawUrl.split('?')[0]}`
  const query = s.rawUrl.includes('?') ? s.rawUrl.slice(s.rawUrl.indexOf('?') + 1) : ''
  const querystring: Row = {}
  if (query) {
    for (const part of query.split('&')) {
      if (!part) continue
      const eq = part.indexOf('=')
      const k = decodeURIComponent(eq === -1 ? part : part.slice(0, eq))
      querystring[k] = eq === -1 ? true : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '))
    }
  }
  const requestLatency = s.elapsedMs()
  const entry: Row = {
    request: {
      id: s.requestId,
      uri: s.rawUrl,
      url: query ? `${url}?${query}` : url,
      querystring,
      method: req.method,
      headers,
      size: requestSize(s),
    },
    upstream_uri: s.upstreamUri,
    upstream_status: s.upstreamStatus === null ? '' : String(s.upstreamStatus),
    response: {
      status: s.status,
      headers: headerTable(s.headers ?? [], 1000),
      size: s.responseBytes,
    },
    latencies: {
      // Time spent in the gateway before proxying (everything, when not proxied).
      kong: s.proxyLatency >= 0 ? s.proxyLatency : requestLatency,
      proxy: s.upstreamLatency,
      request: requestLatency,
      receive: 0,
    },
    tries: s.tries ?? [],
    authenticated_entity: s.credential
      ? { id: s.credential.id, consumer_id: (s.credential.consumer as { id?: string } | null)?.id ?? null }
      : null,
    route: s.route?.row ?? null,
    service: s.service?.row ?? null,
    consumer: s.consumer,
    client_ip: s.clientIp,
    started_at: s.startedMs,
    source: s.source === 'service' ? 'upstream' : 'kong',
    workspace: '00000000-0000-0000-0000-000000000000',
    workspace_name: 'default',
  }
  if (s.serializeOverrides) for (const [k, v, mode] of s.serializeOverrides) applyOverride(entry, k, v, mode)
  return entry
}

function requestSize(s: RequestState): number {
  const raw = s.req.rawHeaders
  let n = requestLine(s).length + 2
  for (let i = 0; i < raw.length; i += 2) n += raw[i].length + raw[i + 1].length + 4
  n += 2
  const cl = Number(s.head.contentLength)
  return n + (Number.isFinite(cl) ? cl : (s.clientBody?.length ?? 0))
}

const deprecationsSeen = new Set<string>()
let inspectEnabled = true

export class PdkLog implements KongLog {
  constructor(private readonly s: RequestState) {}

  debug(...args: unknown[]): void {
    pluginLog(this.s, 'debug', args)
  }
  info(...args: unknown[]): void {
    pluginLog(this.s, 'info', args)
  }
  notice(...args: unknown[]): void {
    pluginLog(this.s, 'notice', args)
  }
  warn(...args: unknown[]): void {
    pluginLog(this.s, 'warn', args)
  }
  err(...args: unknown[]): void {
    pluginLog(this.s, 'error', args)
  }
  crit(...args: unknown[]): void {
    pluginLog(this.s, 'crit', args)
  }
  alert(...args: unknown[]): void {
    pluginLog(this.s, 'alert', args)
  }
  emerg(...args: unknown[]): void {
    pluginLog(this.s, 'emerg', args)
  }

  /**
   * Logs a deprecation warning (`kong.log.deprecation`), once per message and node process;
   * `after`/`removal` name the versions, as in Kong's message.
   */
  deprecation(message: string, opts: { after?: string; removal?: string } = {}): void {
    if (deprecationsSeen.has(message)) return
    if (deprecationsSeen.size < 1000) deprecationsSeen.add(message)
    let text = message
    if (opts.after && opts.removal)
      text += ` (deprecated after ${opts.after}, scheduled for removal in ${opts.removal})`
    else if (opts.after) text += ` (deprecated after ${opts.after})`
    else if (opts.removal) text += ` (scheduled for removal in ${opts.removal})`
    pluginLog(this.s, 'warn', [text])
  }

  /** Pretty-prints its arguments at debug level (`kong.log.inspect`), unless turned off. */
  readonly inspect: KongLog['inspect'] = Object.assign(
    (...args: unknown[]): void => {
      if (!inspectEnabled) return
      pluginLog(this.s, 'debug', [args.map((a) => utilInspect(a, { depth: 6 })).join(' ')])
    },
    {
      on: (): void => {
        inspectEnabled = true
      },
      off: (): void => {
        inspectEnabled = false
      },
    },
  )

  setSerializeValue(key: string, value: unknown, opts?: { mode?: 'set' | 'add' | 'replace' }): void {
    if (typeof key !== 'string') throw new TypeError('key must be a string')
    const mode = opts?.mode ?? 'set'
    if (mode !== 'set' && mode !== 'add' && mode !== 'replace')
      throw new TypeError('mode must be "set", "add" or "replace"')
    this.s.serializeOverrides ??= []
    this.s.serializeOverrides.push([key, value, mode])
  }

  serialize(): Row {
    checkPhase(this.s.phase, P.L, 'kong.log.serialize')
    return serialize(this.s)
  }
}
