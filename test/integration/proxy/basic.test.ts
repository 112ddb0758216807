import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, untilStatus } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

describe('proxy: routing, forwarding and headers', () => {
  let gw: Gateway
  let up: Upstream
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('answers 404 when no route matches, in the format the client accepts', async () => {
    const json = await send(`${gw.proxy}/nothing-here`)
    assert.equal(json.status, 404)
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8')
    const rid = json.headers['x-kong-request-id'] as string
    assert.match(rid, /^[0-9a-f]{32}$/)
    assert.equal(
      json.body,
      `{\n  "message":"no Route matched with those values",\n  "request_id":"${rid}"\n}`,
    )
    assert.match(String(json.headers.server), /^silverback\//)
    assert.match(String(json.headers['x-kong-response-latency']), /^\d+$/)

    const plain = await send(`${gw.proxy}/nothing-here`, { headers: { accept: 'text/plain' } })
    assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8')
    assert.equal(
      plain.body,
      `no Route matched with those values\nrequest_id: ${plain.headers['x-kong-request-id']}\n`,
    )

    const html = await send(`${gw.proxy}/nothing-here`, {
      headers: { accept: 'text/html;q=0.9, application/xml' },
    })
    assert.equal(html.headers['content-type'], 'application/xml; charset=utf-8')
    assert.match(html.body, /<message>no Route matched with those values<\/message>/)

    const h = await send(`${gw.proxy}/nothing-here`, { headers: { accept: 'text/html' } })
    assert.equal(h.headers['content-type'], 'text/html; charset=utf-8')
    assert.match(h.body, /<p>no Route matched with those values\.<\/p>/)
  })

  it('forwards to the service with the upstream headers, and streams the answer back', async () => {
    const svc = await admin(gw, 'POST', '/services', { name: 'echo', url: `${up.url}/base` })
    await admin(gw, 'POST', '/services/echo/routes', { name: 'echo-route', paths: ['/echo'] })
    const res = await untilStatus(`${gw.proxy}/echo/sub/path?x=1&y=%20z`, 200, {
      headers: { host: 'client.test:8080', 'x-forwarded-for': '10.0.0.1', via: '1.1 edge' },
    })
    const body = JSON.parse(res.body) as EchoBody
    assert.equal(body.url, '/base/sub/path?x=1&y=%20z')
    assert.equal(body.headers.host, `127.0.0.1:${up.port}`)
    assert.equal(body.headers['x-real-ip'], '127.0.0.1')
    assert.equal(body.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1')
    assert.equal(body.headers['x-forwarded-proto'], 'http')
    assert.equal(body.headers['x-forwarded-host'], 'client.test')
    assert.equal(body.headers['x-forwarded-port'], String(gw.proxyPort))
    assert.equal(body.headers['x-forwarded-path'], '/echo/sub/path')
    assert.equal(body.headers['x-forwarded-prefix'], '/echo')
    assert.match(String(body.headers.via), /^1\.1 edge, 1\.1 silverback\/\d/)
    assert.equal(body.headers['x-kong-request-id'], res.headers['x-kong-request-id'])
    // downstream
    assert.match(String(res.headers.via), /^1\.1 silverback\//)
    assert.match(String(res.headers['x-kong-upstream-latency']), /^\d+$/)
    assert.match(String(res.headers['x-kong-proxy-latency']), /^\d+$/)
    assert.equal(res.headers['x-kong-response-latency'], undefined)
    assert.match(String(res.headers.server), /^silverback\//)
    void svc
  })

  it('503 for a route without service, and disabled services leave the router', async () => {
    await admin(gw, 'POST', '/routes', { name: 'orphan', paths: ['/orphan'] })
    const res = await untilStatus(`${gw.proxy}/orphan`, 503)
    assert.match(res.body, /"message":"no Service found with those values"/)

    await admin(gw, 'POST', '/services', { name: 'sleepy', url: up.url })
    await admin(gw, 'POST', '/services/sleepy/routes', { paths: ['/sleepy'] })
    await untilStatus(`${gw.proxy}/sleepy`, 200)
    await admin(gw, 'PATCH', '/services/sleepy', { enabled: false })
    const gone = await untilStatus(`${gw.proxy}/sleepy`, 404)
    assert.match(gone.body, /no Route matched with those values/)
  })

  it('applies a route change without restart', async () => {
    await admin(gw, 'POST', '/services', { name: 'live', url: up.url })
    const route = await admin(gw, 'POST', '/services/live/routes', { paths: ['/live-a'] })
    await untilStatus(`${gw.proxy}/live-a`, 200)
    await admin(gw, 'PATCH', `/routes/${route.id}`, { paths: ['/live-b'] })
    await untilStatus(`${gw.proxy}/live-b`, 200)
    await untilStatus(`${gw.proxy}/live-a`, 404)
  })
})
