// Sends a batch of serialized log entries to the log server: one JSON object when batches hold
// one entry (`max_batch_size = 1`), else a JSON array. Any status below 300 is success; anything
// else (or a connection error or timeout) fails the batch, which the queue retries.
import http from 'node:http'
import https from 'node:https'
import { urlUserinfo } from './schema.js'

export interface Target {
  /** `http:` or `https:`. */
  protocol: string
  host: string
  port: number
  /** The endpoint's path (Kong sends no query string). */
  path: string
  method: string
  headers: Record<string, string>
  timeout: number
  agent: http.Agent
  /** `host:port` for messages. */
  label: string
  /** One entry per request (a JSON object), rather than a JSON array. */
  single: boolean
  /** Why the endpoint cannot be requested, if it cannot. */
  invalid?: string
}

const unusable = {
  protocol: 'http:',
  host: '',
  port: 0,
  path: '/',
  method: 'POST',
  headers: {},
  timeout: 0,
  agent: http.globalAgent,
  label: '',
}

const agents = new Map<string, http.Agent>()

function agentFor(protocol: string, keepalive: number): http.Agent {
  const key = `${protocol}${keepalive}`
  let agent = agents.get(key)
  if (agent === undefined) {
    // An idle connection is closed after `keepalive` ms (0: kept). Kong does not verify the
    // certificate of an https log server (ssl_verify = false); neither does this.
    const opts = { keepAlive: true, timeout: keepalive, scheduling: 'lifo' as const }
    agent =
      protocol === 'https:' ? new https.Agent({ ...opts, rejectUnauthorized: false }) : new http.Agent(opts)
    agents.set(key, agent)
  }
  return agent
}

export interface TargetConfig {
  http_endpoint: string
  method?: string | null
  content_type?: string | null
  timeout?: number | null
  keepalive?: number | null
  headers?: Record<string, string> | null
}

/**
 * What sending needs, from an instance's configuration (made once per configuration). An
 * endpoint the schema accepts but that cannot be requested (`ftp://…`, a malformed host) gives a
 * target whose sends fail with the reason, as Kong's would.
 */
export function targetFor(config: TargetConfig, single: boolean): Target {
  let url: URL
  try {
    url = new URL(config.http_endpoint)
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`unsupported scheme '${url.protocol.slice(0, -1)}'`)
  } catch (err) {
    return { ...unusable, invalid: err instanceof Error ? err.message : String(err), single }
  }
  const protocol = url.protocol
  const port = url.port !== '' ? Number(url.port) : protocol === 'https:' ? 443 : 80
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const headers: Record<string, string> = {
    'Content-Type': config.content_type ?? 'application/json',
  }
  const userinfo = urlUserinfo(config.http_endpoint)
  if (userinfo !== null) headers.Authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`
  // the configured headers never replace Content-Type, Content-Length, Host or Authorization
  const taken = new Set([
    'content-type',
    'content-length',
    'host',
    ...(userinfo !== null ? ['authorization'] : []),
  ])
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (taken.has(name.toLowerCase())) continue
    headers[name] = value
  }
  return {
    protocol,
    host,
    port,
    path: url.pathname || '/',
    method: config.method ?? 'POST',
    headers,
    timeout: config.timeout ?? 10000,
    agent: agentFor(protocol, config.keepalive ?? 60000),
    label: `${host}:${port}`,
    single,
  }
}

/** Sends the entries (JSON texts); rejects with Kong's messages. */
export function send(t: Target, entries: string[]): Promise<void> {
  if (t.invalid !== undefined) return Promise.reject(new Error(`invalid http_endpoint: ${t.invalid}`))
  const body = t.single && entries.length === 1 ? entries[0] : `[${entries.join(',')}]`
  const payload = Buffer.from(body)
  return new Promise<void>((resolve, reject) => {
    const mod = t.protocol === 'https:' ? https : http
    const req = mod.request(
      {
        host: t.host,
        port: t.port,
        path: t.path,
        method: t.method,
        agent: t.agent,
        // also covers the connection being made
        timeout: t.timeout,
        headers: { ...t.headers, 'Content-Length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          // the body is only read for the error message
          if (size < 65536) chunks.push(c)
          size += c.length
        })
        res.on('error', (err) => reject(new Error(`failed request to ${t.label}: ${err.message}`)))
        res.on('end', () => {
          const status = res.statusCode ?? 0
          if (status < 300) resolve()
          else
            reject(
              new Error(
                `request to ${t.label} returned status code ${status} and body ${Buffer.concat(chunks).toString()}`,
              ),
            )
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (err) => reject(new Error(`failed request to ${t.label}: ${err.message}`)))
    req.end(payload)
  })
}
