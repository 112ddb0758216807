// Helpers for the logging and metrics plugin tests: a service whose plugins exist before its
// route does (so every request the route answers went through them, on every worker), and local
// receivers for what the plugins send (HTTP and UDP, on 127.0.0.1).
import dgram from 'node:dgram'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { runCli } from './cli.js'
import type { Gateway } from './gateway.js'
import { admin, send, until } from './proxy.js'

let seq = 0

export interface LoggedRoute {
  url: string
  path: string
  serviceName: string
  serviceId: string
  routeId: string
  routeName: string
}

/**
 * A service with these plugins, then a route to it; resolves once the proxy answers the route.
 * Workers apply changes in order, so a worker that serves the route also runs the plugins.
 */
export async function serviceWithPlugins(
  gw: Gateway,
  upstreamUrl: string,
  plugins: Record<string, unknown>[],
): Promise<LoggedRoute> {
  seq++
  const serviceName = `logged-${process.pid}-${seq}`
  const routeName = `route-${process.pid}-${seq}`
  const path = `/logged${seq}`
  const svc = await admin(gw, 'POST', '/services', { name: serviceName, url: upstreamUrl })
  for (const p of plugins) await admin(gw, 'POST', `/services/${serviceName}/plugins`, p)
  const route = await admin(gw, 'POST', `/services/${serviceName}/routes`, { name: routeName, paths: [path] })
  const url = `${gw.proxy}${path}`
  await until(async () => (await send(url)).status !== 404)
  return { url, path, serviceName, serviceId: svc.id as string, routeId: route.id as string, routeName }
}

/** Sends requests until `n` of them got `status` (the others did not reach a worker with the route). */
export async function sendCounted(
  url: string,
  n: number,
  status = 200,
  opts: Parameters<typeof send>[1] = {},
) {
  let got = 0
  for (let i = 0; i < n * 20 && got < n; i++) if ((await send(url, opts)).status === status) got++
  if (got < n) throw new Error(`only ${got} of ${n} requests answered ${status}`)
}

export interface ReceivedRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

export interface HttpReceiver {
  url: string
  received: ReceivedRequest[]
  /** Status of the next answers (default 200); the first one is used up per request. */
  statuses: number[]
  close(): Promise<void>
}

/** An HTTP server on 127.0.0.1 that records every request and answers from `statuses` (else 200). */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = []
  const statuses: number[] = []
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const status = statuses.shift() ?? 200
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      })
      res.writeHead(status, { 'content-type': 'text/plain' })
      res.end(status === 200 ? 'ok' : 'failed on purpose')
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    statuses,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface UdpReceiver {
  port: number
  /** Datagrams received, as text. */
  datagrams: string[]
  /** Every line of every datagram. */
  lines(): string[]
  close(): Promise<void>
}

export async function startUdpReceiver(): Promise<UdpReceiver> {
  const socket = dgram.createSocket('udp4')
  const datagrams: string[] = []
  socket.on('message', (m) => datagrams.push(m.toString()))
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return {
    port: socket.address().port,
    datagrams,
    lines: () => datagrams.flatMap((d) => d.split('\n')),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}

/** `silverback reload` (same settings); resolves once every worker was replaced. */
export async function reloadWorkers(gw: Gateway): Promise<void> {
  const pids = async () => ((await admin(gw, 'GET', '/')).pids as { workers: number[] }).workers
  const before = await pids()
  const file = join(gw.prefix, 'reload.conf')
  writeFileSync(file, '')
  const res = await runCli(['reload', '-p', gw.prefix, '-c', file])
  if (res.code !== 0) throw new Error(`reload failed: ${res.stderr}`)
  await until(async () => {
    const now = await pids()
    return now.length === before.length && now.every((p) => !before.includes(p))
  }, 15_000)
}
