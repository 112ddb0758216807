// WebSocket upgrades (proxying.md §5): the upgrade request is routed and forwarded with
// `Connection: keep-alive, Upgrade` + `Upgrade: websocket`, the upstream's 101 is relayed with the
// gateway's headers, and bytes then flow both ways until either side closes. The gateway does
// not parse frames, so raw bytes after the handshake show the tunnel.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type http from 'node:http'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import tls from 'node:tls'
import { freePort, type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { admin, until, untilStatus } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

interface Seen {
  url: string
  headers: http.IncomingHttpHeaders
}

/** An upstream answering WebSocket handshakes, then echoing every byte prefixed with "echo:". */
async function wsUpstream(): Promise<{ up: Upstream; seen: Seen[] }> {
  const seen: Seen[] = []
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('plain')
  })
  up.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    if (req.url?.endsWith('/refuse')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nrefused')
      return
    }
    const accept = createHash('sha1')
      .update(String(req.headers['sec-websocket-key']) + GUID)
      .digest('base64')
    // The 101 and a first message in one write: bytes right after the head must reach the client.
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nKeep-Alive: timeout=5\r\n\r\nhello`,
    )
    if (head.length > 0) socket.write(`echo:${head.toString()}`)
    socket.on('data', (d: Buffer) => {
      if (d.toString() === 'bye') socket.end()
      else socket.write(`echo:${d.toString()}`)
    })
    socket.on('error', () => socket.destroy())
  })
  return { up, seen }
}

interface Handshake {
  socket: net.Socket
  status: number
  headers: Map<string, string>
  /** Bytes received after the response head. */
  rest: Buffer
}

/** Sends an upgrade request on `socket` and reads the response head. */
async function handshake(socket: net.Socket, path: string, extra = ''): Promise<Handshake> {
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n${extra}`,
  )
  let buf = Buffer.alloc(0)
  for (;;) {
    const end = buf.indexOf('\r\n\r\n')
    if (end !== -1) {
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n')
      const status = Number(lines[0].split(' ')[1])
      const headers = new Map<string, string>()
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
      }
      return { socket, status, headers, rest: buf.subarray(end + 4) }
    }
    const [chunk] = (await once(socket, 'data')) as [Buffer]
    buf = Buffer.concat([buf, chunk])
  }
}

/** Reads from the socket until `text` has been received (after `initial`). */
async function readUntil(
  socket: net.Socket,
  text: string,
  initial: Buffer = Buffer.alloc(0),
): Promise<string> {
  let got = initial.toString()
  while (!got.includes(text)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer]
    got += chunk.toString()
  }
  return got
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  return socket
}

/** Resolves when the socket has closed (the peer ended or reset it). */
function closed(socket: net.Socket | tls.TLSSocket): Promise<void> {
  socket.resume()
  return socket.closed ? Promise.resolve() : once(socket, 'close').then(() => undefined)
}

/** `connections_writing` of the Status API: requests being served (the status request included). */
async function writing(gw: Gateway): Promise<number> {
  const res = await request(gw.status, 'GET', '/status')
  return (res.body as { server: { connections_writing: number } }).server.connections_writing
}

describe('proxy: WebSocket upgrades', () => {
  let gw: Gateway
  let up: Upstream
  let seen: Seen[]
  let plain: number
  let secure: number

  before(async () => {
    ;({ up, seen } = await wsUpstream())
    plain = await freePort()
    secure = await freePort()
    gw = await startGateway({ env: { PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${secure} ssl http2` } })
    await admin(gw, 'POST', '/services', { name: 'ws', url: `${up.url}/base` })
    await admin(gw, 'POST', '/services/ws/routes', { name: 'ws', paths: ['/ws'] })
    await admin(gw, 'POST', '/services', { name: 'slow', url: up.url, read_timeout: 300 })
    await admin(gw, 'POST', '/services/slow/routes', { paths: ['/idle'], strip_path: false })
    await untilStatus(`http://127.0.0.1:${plain}/ws`, 200, { headers: { host: 'ws.test' } })
    await untilStatus(`http://127.0.0.1:${plain}/idle`, 200, { headers: { host: 'ws.test' } })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('relays the handshake with the gateway headers, then tunnels bytes both ways', async () => {
    const baseline = await writing(gw)
    const socket = await connect(plain)
    try {
      const before = seen.length
      const h = await handshake(socket, '/ws/chat?room=1', 'early')
      assert.equal(h.status, 101)
      assert.equal(h.headers.get('upgrade'), 'websocket')
      assert.equal(h.headers.get('connection'), 'upgrade')
      assert.equal(
        h.headers.get('sec-websocket-accept'),
        createHash('sha1')
          .update(KEY + GUID)
          .digest('base64'),
      )
      assert.equal(h.headers.has('keep-alive'), false, 'hop-by-hop response headers are dropped')
      assert.match(h.headers.get('via') ?? '', /^1\.1 silverback\//)
      assert.match(h.headers.get('x-kong-upstream-latency') ?? '', /^\d+$/)
      assert.match(h.headers.get('x-kong-request-id') ?? '', /^[0-9a-f]{32}$/)

      // What the upstream received: the stripped path, the upgrade headers, the forwarding ones.
      const req = seen[before]
      assert.equal(req.url, '/base/chat?room=1')
      assert.equal(req.headers.upgrade, 'websocket')
      assert.equal(req.headers.connection, 'keep-alive, Upgrade')
      assert.equal(req.headers['sec-websocket-key'], KEY)
      assert.equal(req.headers['x-forwarded-prefix'], '/ws')
      assert.equal(req.headers['x-real-ip'], '127.0.0.1')
      assert.match(String(req.headers['x-kong-request-id']), /^[0-9a-f]{32}$/)

      // Bytes sent with the upgrade request, then after the handshake, in both directions.
      let got = await readUntil(socket, 'echo:early', h.rest)
      assert.ok(got.startsWith('hello'), got)
      socket.write('ping')
      got = await readUntil(socket, 'echo:ping')
      const big = 'x'.repeat(256 * 1024)
      socket.write(big)
      got = await readUntil(socket, 'x'.repeat(1000))
      let total = got.replace(/echo:/g, '').length
      while (total < big.length) {
        const [chunk] = (await once(socket, 'data')) as [Buffer]
        total += chunk.toString().replace(/echo:/g, '').length
      }
      assert.equal(total, big.length)

      // An open tunnel counts as a request being served (Status API), until it closes.
      await until(async () => (await writing(gw)) === baseline + 1, 5000)

      // The upstream closing ends the client connection.
      const done = closed(socket)
      socket.write('bye')
      await done
      await until(async () => (await writing(gw)) === baseline, 5000)
    } finally {
      socket.destroy()
    }
  })

  it('passes a refused upgrade through as an ordinary response, then closes', async () => {
    const socket = await connect(plain)
    try {
      const h = await handshake(socket, '/ws/refuse')
      assert.equal(h.status, 403)
      assert.equal(h.headers.get('connection'), 'close')
      assert.match(h.headers.get('via') ?? '', /silverback/)
      const body = await readUntil(socket, 'refused', h.rest)
      assert.equal(body, 'refused')
      await closed(socket)
    } finally {
      socket.destroy()
    }
  })

  it("answers Kong's errors to upgrade requests that match no route", async () => {
    const socket = await connect(plain)
    try {
      const h = await handshake(socket, '/nowhere')
      assert.equal(h.status, 404)
      assert.equal(h.headers.get('content-type'), 'application/json; charset=utf-8')
      const body = await readUntil(socket, '}', h.rest)
      assert.deepEqual(JSON.parse(body.slice(0, Number(h.headers.get('content-length')))), {
        message: 'no Route matched with those values',
        request_id: h.headers.get('x-kong-request-id'),
      })
      await closed(socket)
    } finally {
      socket.destroy()
    }
  })

  it('closes a tunnel idle for longer than the service read_timeout', async () => {
    const socket = await connect(plain)
    try {
      const h = await handshake(socket, '/idle/x')
      assert.equal(h.status, 101)
      const started = Date.now()
      await closed(socket)
      assert.ok(Date.now() - started >= 250, 'not before the timeout')
    } finally {
      socket.destroy()
    }
  })

  it('tunnels over TLS (wss) on a listener that also speaks HTTP/2', async () => {
    const socket = tls.connect({
      port: secure,
      host: '127.0.0.1',
      servername: 'ws.test',
      rejectUnauthorized: false,
    })
    await once(socket, 'secureConnect')
    try {
      assert.equal(socket.alpnProtocol, false)
      const before = seen.length
      const h = await handshake(socket as unknown as net.Socket, '/ws/secure')
      assert.equal(h.status, 101)
      assert.equal(seen[before].headers['x-forwarded-proto'], 'https')
      await readUntil(socket as unknown as net.Socket, 'hello', h.rest)
      socket.write('over-tls')
      await readUntil(socket as unknown as net.Socket, 'echo:over-tls')
    } finally {
      socket.destroy()
    }
  })

  it('forwards a non-WebSocket Upgrade request as a plain request, without the Upgrade', async () => {
    const socket = await connect(plain)
    try {
      socket.write('GET /ws/h2c HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n')
      const body = await readUntil(socket, 'plain')
      assert.match(body, /^HTTP\/1\.1 200 OK\r\n/)
      await closed(socket)
    } finally {
      socket.destroy()
    }
  })
})
