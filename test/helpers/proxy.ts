// Small helpers for proxy tests: configure through the Admin API, poll until the proxy reflects
// a change (never fixed sleeps), and send raw requests.
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Gateway, request } from './gateway.js'

export async function admin(
  gw: Gateway,
  method: string,
  path: string,
  json?: unknown,
): Promise<Record<string, unknown>> {
  const res = await request(gw.admin, method, path, json === undefined ? {} : { json })
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`)
  return (res.body ?? {}) as Record<string, unknown>
}

/** Polls `fn` until it returns true (every 20 ms, up to `ms`). */
export async function until(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(20)
  }
}

export interface ProxyResponse {
  status: number
  headers: http.IncomingHttpHeaders
  rawHeaders: string[]
  body: string
}

/** One HTTP/1.1 request through node:http (no connection reuse unless an agent is given). */
export function send(
  url: string,
  opts: {
    method?: string
    headers?: Record<string, string | string[]>
    body?: string | Buffer
    agent?: http.Agent
    path?: string
    /** Gives up after this many ms without activity (default 15 s), so a test never hangs. */
    timeout?: number
  } = {},
): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: opts.path ?? `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString(),
          }),
        )
        res.on('error', reject)
      },
    )
    req.setTimeout(opts.timeout ?? 15_000, () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Waits until a request through the proxy answers `status`. */
export async function untilStatus(
  url: string,
  status: number,
  opts: Parameters<typeof send>[1] = {},
): Promise<ProxyResponse> {
  let last: ProxyResponse | undefined
  await until(async () => {
    last = await send(url, opts)
    return last.status === status
  })
  return last!
}
