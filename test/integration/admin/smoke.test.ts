import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'

describe('admin api: quick tour', () => {
  let gw: Gateway
  before(async () => {
    gw = await startGateway()
  })
  after(async () => {
    await gw.stop()
  })

  it('creates a service and a route as in the README tour', async () => {
    const s = await request(gw.admin, 'POST', '/services', {
      form: { name: 'example', url: 'http://httpbin.org/anything' },
    })
    assert.equal(s.status, 201, s.text)
    const svc = s.body as Record<string, unknown>
    assert.equal(svc.host, 'httpbin.org')
    assert.equal(svc.path, '/anything')
    const r = await request(gw.admin, 'POST', '/services/example/routes', {
      form: 'name=example-route&paths[]=/example',
    })
    assert.equal(r.status, 201, r.text)
    assert.deepEqual((r.body as { service: unknown }).service, { id: svc.id })
    const list = await request(gw.admin, 'GET', '/routes')
    assert.equal((list.body as { data: unknown[] }).data.length, 1)
  })
})
