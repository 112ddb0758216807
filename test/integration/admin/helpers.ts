// Shared helpers for the Admin API integration tests: a small JSON client bound to one gateway,
// unique names, and a raw node:http request for cases fetch cannot express (duplicate headers).
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BIN, type Gateway, type GatewayOptions, request, startGateway } from '../../helpers/gateway.js'

/** Parsed JSON of a response; tests index into it freely and assert on exact values. */
// biome-ignore lint/suspicious/noExplicitAny: JSON response bodies are asserted field by field.
export type Json = any

export interface Res {
  status: number
  headers: Headers
  body: Json
  text: string
}

/**
 * startGateway() with a retry when a listener port picked as free was taken in the meantime
 * (several gateways start in parallel during the suite).
 */
export async function startAdmin(opts: GatewayOptions = {}): Promise<Gateway> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGateway(opts)
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err
    }
  }
}

let counter = 0

/** A name unique within the test run, valid as a utf8 name, a hostname label and a username. */
export function uniq(prefix = 'x'): string {
  counter += 1
  return `${prefix}-${counter}-${randomUUID().slice(0, 8)}`
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export interface Client {
  get(path: string, headers?: Record<string, string>): Promise<Res>
  head(path: string, headers?: Record<string, string>): Promise<Res>
  options(path: string, headers?: Record<string, string>): Promise<Res>
  delete(path: string): Promise<Res>
  post(path: string, json?: unknown): Promise<Res>
  put(path: string, json?: unknown): Promise<Res>
  patch(path: string, json?: unknown): Promise<Res>
  /** Form-urlencoded body (a record or an already encoded string). */
  form(method: string, path: string, form: Record<string, string> | string): Promise<Res>
  send(
    method: string,
    path: string,
    opts?: { json?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Res>
}

export function client(gw: Gateway, base: string = gw.admin): Client {
  const send = (
    method: string,
    path: string,
    opts: {
      json?: unknown
      raw?: string
      headers?: Record<string, string>
      form?: Record<string, string> | string
    } = {},
  ) => {
    // fetch refuses bodies on GET/HEAD; those bodies are ignored by the server anyway.
    const o = method === 'GET' || method === 'HEAD' ? { headers: opts.headers } : opts
    return request(base, method, path, o) as Promise<Res>
  }
  return {
    get: (path, headers) => send('GET', path, { headers }),
    head: (path, headers) => send('HEAD', path, { headers }),
    options: (path, headers) => send('OPTIONS', path, { headers }),
    delete: (path) => send('DELETE', path),
    post: (path, json = {}) => send('POST', path, { json }),
    put: (path, json = {}) => send('PUT', path, { json }),
    patch: (path, json = {}) => send('PATCH', path, { json }),
    form: (method, path, form) => send(method, path, { form }),
    send,
  }
}

/** Creates an entity and fails loudly if that does not give 201. */
export async function create(api: Client, path: string, json: unknown): Promise<Json> {
  const res = await api.post(path, json)
  if (res.status !== 201) throw new Error(`POST ${path} ${JSON.stringify(json)} → ${res.status} ${res.text}`)
  return res.body
}

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
}

/**
 * A request over node:http with headers given as a flat list, so the same header can be sent
 * twice (e.g. two Content-Type headers).
 */
export function rawRequest(
  gw: Gateway,
  method: string,
  path: string,
  headers: [string, string][],
  body?: string | Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const flat: string[] = []
    // With a raw header list Node does not add Host itself (and its server requires one).
    if (!headers.some(([k]) => k.toLowerCase() === 'host')) flat.push('Host', `127.0.0.1:${gw.adminPort}`)
    for (const [k, v] of headers) flat.push(k, v)
    const framed = headers.some(([k]) => ['content-length', 'transfer-encoding'].includes(k.toLowerCase()))
    if (body !== undefined && !framed) flat.push('Content-Length', String(Buffer.byteLength(body)))
    const req = http.request({
      host: '127.0.0.1',
      port: gw.adminPort,
      method,
      path,
      headers: flat,
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

/**
 * Builds a multipart/form-data body from name/value pairs; a third element makes the part a file
 * upload with that file name (as `curl -F name=@file` sends it).
 */
export function multipart(fields: ([string, string] | [string, string, string])[]): {
  body: string
  contentType: string
} {
  const boundary = `----silverback${randomUUID().replaceAll('-', '')}`
  let body = ''
  for (const [name, value, filename] of fields) {
    const disposition = filename
      ? `form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream`
      : `form-data; name="${name}"`
    body += `--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`
  }
  body += `--${boundary}--\r\n`
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

/** Kong's schema-violation message for these items (admin-api.md §5.1). */
export function violation(...items: string[]): string {
  return items.length === 1
    ? `schema violation (${items[0]})`
    : `${items.length} schema violations (${items.join('; ')})`
}

export interface RawGateway {
  process: ChildProcess
  output(): string
  stop(): Promise<void>
}

/**
 * Starts `silverback start` with exactly these KONG_* variables (names without the prefix), for
 * listener layouts startGateway() cannot express; waits until `readyUrl` answers.
 */
export async function spawnGateway(env: Record<string, string>, readyUrl: string): Promise<RawGateway> {
  const prefix = mkdtempSync(join(tmpdir(), 'silverback-it-'))
  const full: NodeJS.ProcessEnv = { ...process.env, KONG_PREFIX: prefix, KONG_PROXY_LISTEN: 'off' }
  for (const [k, v] of Object.entries(env)) full[`KONG_${k}`] = v
  const child = spawn(process.execPath, [BIN, 'start'], { env: full, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
    rmSync(prefix, { recursive: true, force: true })
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${out}`)
    try {
      if ((await fetch(readyUrl)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`gateway did not start:\n${out}`)
    }
    await sleep(50)
  }
  return { process: child, output: () => out, stop }
}
