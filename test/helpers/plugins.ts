// Helpers for plugin tests: a service and route per test case (unique names and paths, so one
// gateway serves a whole file), and the echo upstream's view of a proxied request.
import { type Gateway, request } from './gateway.js'
import { admin, type ProxyResponse, send, until } from './proxy.js'
import type { EchoBody } from './upstream.js'

let seq = 0

export interface TestRoute {
  /** Proxy URL of the route's path. */
  url: string
  path: string
  routeId: string
  serviceId: string
  serviceName: string
}

/** Creates a service to `upstreamUrl` and a route on a fresh path. */
export async function addRoute(
  gw: Gateway,
  upstreamUrl: string,
  route: Record<string, unknown> = {},
): Promise<TestRoute> {
  seq++
  const name = `svc-${process.pid}-${seq}`
  const path = `/r${seq}`
  const svc = await admin(gw, 'POST', '/services', { name, url: upstreamUrl })
  const r = await admin(gw, 'POST', `/services/${name}/routes`, { paths: [path], ...route })
  return {
    url: `${gw.proxy}${path}`,
    path,
    routeId: r.id as string,
    serviceId: svc.id as string,
    serviceName: name,
  }
}

/** Enables a plugin through the Admin API; throws on anything but 201. */
export async function addPlugin(
  gw: Gateway,
  body: Record<string, unknown>,
  on = '',
): Promise<Record<string, unknown>> {
  return admin(gw, 'POST', `${on}/plugins`, body)
}

/**
 * A fresh route with the plugin `name` on it, once the proxy answers it with `status` (the
 * configuration has reached the workers).
 */
export async function routeWithPlugin(
  gw: Gateway,
  upstreamUrl: string,
  name: string,
  config: Record<string, unknown> = {},
  status = 401,
): Promise<TestRoute> {
  const r = await addRoute(gw, upstreamUrl)
  await addPlugin(gw, { name, config }, `/routes/${r.routeId}`)
  await untilProxy(r.url, status)
  return r
}

/** POST that is expected to fail: returns status and body. */
export async function refused(
  gw: Gateway,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(gw.admin, 'POST', path, { json: body })
  return { status: res.status, body: res.body as Record<string, unknown> }
}

/** The request the echo upstream received. */
export function echoed(res: ProxyResponse): EchoBody {
  if (res.status !== 200) throw new Error(`expected 200 from the upstream, got ${res.status}: ${res.body}`)
  return JSON.parse(res.body) as EchoBody
}

/** Waits until the proxy answers `url` with `status` (config changes reach workers asynchronously). */
export async function untilProxy(
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

export function json(res: ProxyResponse): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>
}

/** The `message` of a Kong error body (which also carries a `request_id`). */
export function message(res: ProxyResponse): unknown {
  const body = json(res)
  if (typeof body.request_id !== 'string') throw new Error(`no request_id in ${res.body}`)
  return body.message
}
