import assert from 'node:assert/strict'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import tls from 'node:tls'
import { generateSelfSigned } from './self-signed.js'

describe('generateSelfSigned', () => {
  for (const type of ['rsa', 'ec'] as const) {
    it(`produces a ${type} certificate that Node parses and that matches its key`, () => {
      const pair = generateSelfSigned({ type, commonName: 'localhost', days: 30 })
      const cert = new X509Certificate(pair.cert)
      assert.equal(cert.subject, 'CN=localhost')
      assert.equal(cert.issuer, 'CN=localhost')
      assert.equal(cert.ca, false)
      assert.ok(cert.checkPrivateKey(createPrivateKey(pair.key)))
      assert.ok(cert.verify(cert.publicKey), 'self-signature verifies')
      assert.match(cert.subjectAltName ?? '', /DNS:localhost/)
      const days = (Date.parse(cert.validTo) - Date.now()) / 86400_000
      assert.ok(days > 29 && days < 31)
    })
  }

  it('encodes serial numbers as positive, minimal DER integers (16 bytes, first byte 0x40..0x7f)', () => {
    for (let i = 0; i < 50; i++) {
      const serial = new X509Certificate(generateSelfSigned({ type: 'ec' }).cert).serialNumber
      assert.equal(serial.length, 32)
      const first = Number.parseInt(serial.slice(0, 2), 16)
      assert.ok(first >= 0x40 && first <= 0x7f, serial)
    }
  })

  it('serves a TLS handshake that a client trusting it completes', async () => {
    const pair = generateSelfSigned({ type: 'ec' })
    const server = tls.createServer({ cert: pair.cert, key: pair.key }, (s) => s.end('ok'))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pair.cert })
    const [data] = (await once(socket, 'data')) as [Buffer]
    assert.equal(data.toString(), 'ok')
    assert.equal(socket.authorized, true)
    socket.destroy()
    server.close()
  })
})

describe('generateSelfSigned({ ca: true })', () => {
  it('sets the CA basic constraint', () => {
    const pair = generateSelfSigned({ ca: true, commonName: 'Test CA' })
    assert.equal(new X509Certificate(pair.cert).ca, true)
  })
})
