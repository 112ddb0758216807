import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { checksEnabled, classify, healthConfig, UpstreamHealth } from '../balancer/health.js'
import { NodeHealth } from './health.js'

const config = (over: Record<string, unknown> = {}) => healthConfig(over)

describe('UpstreamHealth', () => {
  it('trips after the configured failures in a row, a success resets the count', () => {
    const h = new UpstreamHealth(config({ passive: { unhealthy: { http_failures: 3, tcp_failures: 1 } } }))
    assert.equal(h.report('a', 'http', 'passive'), false)
    assert.equal(h.report('a', 'http', 'passive'), false)
    assert.equal(h.report('a', 'success', 'passive'), false)
    assert.equal(h.report('a', 'http', 'passive'), false)
    assert.equal(h.report('a', 'http', 'passive'), false)
    assert.equal(h.report('a', 'http', 'passive'), true)
    assert.deepEqual(h.unhealthy(), ['a'])
    // timeouts are off (0): never trip
    for (let i = 0; i < 10; i++) assert.equal(h.report('b', 'timeout', 'passive'), false)
    assert.equal(h.report('b', 'tcp', 'passive'), true)
  })

  it('heals after healthy.successes successes (0: never by counting); the manual state wins', () => {
    const h = new UpstreamHealth(
      config({ active: { healthy: { successes: 2 }, unhealthy: { tcp_failures: 1 } }, passive: {} }),
    )
    h.report('a', 'tcp', 'active')
    assert.deepEqual(h.unhealthy(), ['a'])
    assert.equal(h.report('a', 'success', 'active'), false)
    assert.equal(h.report('a', 'success', 'active'), true)
    assert.deepEqual(h.unhealthy(), [])
    // passive healthy.successes is 0
    h.report('a', 'tcp', 'active')
    for (let i = 0; i < 5; i++) assert.equal(h.report('a', 'success', 'passive'), false)
    assert.equal(h.set('a', true), true)
    assert.equal(h.set('a', true), false)
    h.retain(new Set())
    assert.equal(h.addresses.size, 0)
  })

  it('classifies statuses by the lists, and knows when checks are on', () => {
    const c = config()
    assert.equal(classify(c, 'active', 200), 'success')
    assert.equal(classify(c, 'active', 404), 'http')
    assert.equal(classify(c, 'active', 201), null)
    assert.equal(classify(c, 'passive', 201), 'success')
    assert.equal(classify(c, 'passive', 500), 'http')
    assert.equal(classify(c, 'passive', 502), null)
    assert.equal(checksEnabled(c), false)
    assert.equal(checksEnabled(config({ active: { unhealthy: { interval: 1 } } })), true)
    assert.equal(checksEnabled(config({ passive: { unhealthy: { timeouts: 2 } } })), true)
  })
})

describe('NodeHealth', () => {
  it('probes targets actively, broadcasts changes, and follows the configuration', async () => {
    let status = 200
    const server = http.createServer((req, res) => {
      assert.equal(req.url, '/ping')
      res.writeHead(status)
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const changes: [string, string[]][] = []
    const node = new NodeHealth((id, keys) => changes.push([id, keys]))
    const upstream = {
      id: 'u1',
      name: 'u',
      healthchecks: {
        active: {
          http_path: '/ping',
          timeout: 1,
          healthy: { interval: 0.1, successes: 1 },
          unhealthy: { interval: 0.1, http_failures: 1, tcp_failures: 1 },
        },
      },
    }
    const target = { id: 't1', target: `127.0.0.1:${port}`, weight: 100, upstream: { id: 'u1' } }
    try {
      node.sync([upstream], [target])
      const until = async (want: number) => {
        const deadline = Date.now() + 5000
        while (changes.length < want) {
          if (Date.now() > deadline) throw new Error(`changes: ${JSON.stringify(changes)}`)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      status = 500
      await until(1)
      assert.deepEqual(changes[0], ['u1', [`127.0.0.1:${port}`]])
      assert.deepEqual(node.all(), [['u1', [`127.0.0.1:${port}`]]])
      status = 200
      await until(2)
      assert.deepEqual(changes[1], ['u1', []])
      // the server goes away: a tcp failure
      await new Promise<void>((r) => server.close(() => r()))
      server.closeAllConnections()
      await until(3)
      assert.deepEqual(changes[2], ['u1', [`127.0.0.1:${port}`]])
      // checks switched off: every address counts as healthy again
      node.sync([{ id: 'u1', name: 'u', healthchecks: {} }], [target])
      assert.deepEqual(changes[3], ['u1', []])
      // the upstream removed
      node.sync([], [])
      assert.deepEqual(changes[4], ['u1', []])
    } finally {
      node.stop()
      server.close()
    }
  })

  it('applies passive reports and manual states only to known addresses of checked upstreams', () => {
    const changes: [string, string[]][] = []
    const node = new NodeHealth((id, keys) => changes.push([id, keys]))
    node.sync(
      [{ id: 'u', name: 'u', healthchecks: { passive: { unhealthy: { http_failures: 1 } } } }],
      [{ id: 't', target: '10.0.0.1:80', weight: 100, upstream: { id: 'u' } }],
    )
    node.reports('u\t10.0.0.9:80\thttp\nu\t10.0.0.1:80\thttp\nbad line')
    assert.deepEqual(changes, [['u', ['10.0.0.1:80']]])
    node.set('u', ['10.0.0.1:80'], true)
    assert.deepEqual(changes[1], ['u', []])
    node.set('u', ['10.0.0.1:80'], true)
    assert.equal(changes.length, 2)
    assert.equal(node.view('u')?.enabled, true)
    assert.equal(node.view('nope'), null)
  })
})
