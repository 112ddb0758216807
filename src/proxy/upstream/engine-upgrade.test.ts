// 101 Switching Protocols: the socket is handed over to the caller (WebSocket tunnels).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { describe, it } from 'node:test'
import { UpstreamEngine } from './engine.js'
import { Collector, header, httpServer, request, target } from './test-support.js'

describe('engine: protocol upgrade', () => {
  it('hands the socket over on 101 with the bytes that followed the head, outside the pool', async () => {
    const server = await httpServer((_req, res) => res.end('no upgrade'))
    server.server.on('upgrade', (req, socket: Socket) => {
      // The 101 and the first frame of the new protocol in one write.
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Proto: echo\r\n\r\nhello`,
      )
      socket.on('data', (d: Buffer) => socket.write(d))
    })
    const engine = new UpstreamEngine()
    try {
      const c = new Collector()
      engine.request(
        target(server.port),
        request({ headers: ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'echo'], readTimeout: 100 }),
        c,
      )
      await c.result
      assert.deepEqual(c.events, ['upgrade'])
      const up = c.upgraded!
      assert.equal(up.status, 101)
      assert.equal(header(up.headers, 'x-proto'), 'echo')
      assert.equal(up.head.toString(), 'hello')
      assert.deepEqual(engine.stats(), {
        pools: 0,
        idle: 0,
        active: 0,
        connectionsCreated: 1,
        staleRetries: 0,
      })
      // The engine's read timeout no longer applies to the tunnel.
      await new Promise((r) => setTimeout(r, 200))
      const socket = up.socket
      assert.equal(socket.destroyed, false)
      assert.equal(socket.isPaused(), true, 'handed over paused')
      socket.write('ping')
      socket.resume()
      const [echo] = (await once(socket, 'data')) as [Buffer]
      assert.equal(echo.toString(), 'ping')
      socket.destroy()
      // Ordinary requests still work and open a new connection.
      const r = await new Promise<string>((resolve, reject) => {
        const d = new Collector()
        engine.request(target(server.port), request(), d)
        d.result.then((x) => resolve(x.body.toString()), reject)
      })
      assert.equal(r, 'no upgrade')
      assert.equal(server.connections, 2)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('a refused upgrade is an ordinary response', async () => {
    const server = await httpServer((_req, res) => {
      res.statusCode = 426
      res.end('upgrade required')
    })
    const engine = new UpstreamEngine()
    try {
      const c = new Collector()
      engine.request(
        target(server.port),
        request({ headers: ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'x'] }),
        c,
      )
      const r = await c.result
      assert.equal(r.status, 426)
      assert.deepEqual(c.events, ['headers', 'data', 'end'])
    } finally {
      engine.close()
      await server.close()
    }
  })
})
