// proxy_access_log: one line per proxied request in Kong's kong_log_format, written by every
// worker into the same file; `off` writes nothing.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

describe('proxy access log', () => {
  let up: Upstream
  let gw: Gateway
  let quiet: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, workers: 2 })
    quiet = await startGateway({ proxy: true, env: { PROXY_ACCESS_LOG: 'off' } })
    for (const g of [gw, quiet]) {
      await admin(g, 'POST', '/services', { name: 'logged', url: up.url })
      await admin(g, 'POST', '/services/logged/routes', { paths: ['/logged'] })
      await until(async () => (await send(`${g.proxy}/logged`)).status === 200)
    }
  })
  after(async () => {
    await gw.stop()
    await quiet.stop()
    await up.close()
  })

  it('writes one kong_log_format line per request, from every worker', async () => {
    const file = join(gw.prefix, 'logs', 'access.log')
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await send(`${gw.proxy}/logged?i=${i}`, {
        headers: { 'user-agent': 'log-test/1.0', referer: 'http://ref.test/"x"' },
      })
      ids.push(r.headers['x-kong-request-id'] as string)
    }
    const miss = await send(`${gw.proxy}/nowhere`)
    await until(async () => existsSync(file) && readFileSync(file, 'utf8').includes(ids[5]))
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    const line = lines.find((l) => l.includes(ids[0]))
    assert.ok(line, 'the first request is logged')
    assert.match(
      line,
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/logged\?i=0 HTTP\/1\.1" 200 \d+ "http:\/\/ref\.test\/\\x22x\\x22" "log-test\/1\.0" kong_request_id: "[0-9a-f]{32}"$/,
    )
    for (const id of ids) assert.equal(lines.filter((l) => l.includes(id)).length, 1)
    await until(async () => readFileSync(file, 'utf8').includes(miss.headers['x-kong-request-id'] as string))
    assert.match(readFileSync(file, 'utf8'), /"GET \/nowhere HTTP\/1\.1" 404 /)
  })

  it('writes nothing with proxy_access_log = off', async () => {
    assert.equal((await send(`${quiet.proxy}/logged`)).status, 200)
    assert.equal(existsSync(join(quiet.prefix, 'logs', 'access.log')), false)
  })
})
