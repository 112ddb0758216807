// file-log (plugins.md §6.19) through the real gateway with two workers: configuration checks,
// one JSON line per request (kong.log.serialize()) appended by both workers to the same file,
// and `reopen` following a rotated file.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { sendCounted, serviceWithPlugins } from '../../helpers/logging.js'
import { addPlugin, addRoute, refused } from '../../helpers/plugins.js'
import { until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

function lines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('file-log', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, workers: 2 })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('fills the defaults', async () => {
    const r = await addRoute(gw, up.url)
    const p = await addPlugin(
      gw,
      { name: 'file-log', config: { path: '/tmp/x.log' } },
      `/routes/${r.routeId}`,
    )
    assert.deepEqual(p.config, { path: '/tmp/x.log', reopen: false, custom_fields_by_lua: null })
    assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
  })

  it('refuses bad configurations with 400 and the field at fault', async () => {
    const cases: [unknown, unknown][] = [
      [{}, { path: 'required field missing' }],
      [{ path: '/tmp/a*b.log' }, { path: 'not a valid filename' }],
      [{ path: '/tmp/a%b.log' }, { path: 'not a valid filename' }],
      [{ path: '/tmp/x.log', reopen: 'yes' }, { reopen: 'expected a boolean' }],
      [
        { path: '/tmp/x.log', custom_fields_by_lua: { a: 'return 1' } },
        {
          custom_fields_by_lua:
            'custom_fields_by_lua is not supported by Silverback (it cannot run Lua code)',
        },
      ],
      [
        { path: '/tmp/x.log', custom_fields_by_lua: { a: '' } },
        { custom_fields_by_lua: 'length must be at least 1' },
      ],
    ]
    for (const [config, fields] of cases) {
      const res = await refused(gw, '/plugins', { name: 'file-log', config })
      assert.equal(res.status, 400, JSON.stringify(config))
      assert.equal(res.body.name, 'schema violation')
      assert.deepEqual(res.body.fields, { config: fields })
    }
    // an empty map is accepted
    const r = await addRoute(gw, up.url)
    const p = await addPlugin(
      gw,
      { name: 'file-log', config: { path: '/tmp/x.log', custom_fields_by_lua: {} } },
      `/routes/${r.routeId}`,
    )
    assert.deepEqual((p.config as Record<string, unknown>).custom_fields_by_lua, {})
  })

  it('appends one JSON line per request, from both workers, with the serialized entry', async () => {
    const path = join(gw.prefix, 'requests.log')
    const r = await serviceWithPlugins(gw, up.url, [{ name: 'file-log', config: { path } }])
    const n = 30
    await sendCounted(`${r.url}/x?q=1`, n, 200, { headers: { authorization: 'Bearer secret' } })
    await until(
      async () => lines(path).filter((l) => (l.request as { uri: string }).uri.endsWith('?q=1')).length >= n,
    )
    const all = lines(path).filter((l) => (l.request as { uri: string }).uri.endsWith('?q=1'))
    assert.equal(all.length, n)
    const ids = new Set(all.map((l) => (l.request as { id: string }).id))
    assert.equal(ids.size, n, 'one line per request')
    const e = all[0] as Record<string, Record<string, unknown>>
    assert.equal(e.request.uri, `${r.path}/x?q=1`)
    assert.equal(e.request.method, 'GET')
    assert.deepEqual(e.request.querystring, { q: '1' })
    assert.equal((e.request.headers as Record<string, string>).authorization, 'REDACTED')
    assert.equal(e.response.status, 200)
    assert.equal(e.upstream_uri as unknown, '/x?q=1')
    assert.equal(e.route.id, r.routeId)
    assert.equal(e.service.id, r.serviceId)
    assert.equal(e.source as unknown, 'upstream')
    assert.equal(typeof e.latencies.request, 'number')
    assert.equal(typeof e.started_at as unknown, 'number')
    // every line is whole: the file is valid JSON lines, nothing interleaved
    for (const raw of readFileSync(path, 'utf8').split('\n').filter(Boolean)) JSON.parse(raw)
  })

  it('with reopen, writes to a new file once the old one was moved away', async () => {
    const path = join(gw.prefix, 'rotated.log')
    const counted = (file: string) =>
      lines(file).filter((l) => (l.request as { uri: string }).uri.endsWith('?n'))
    const r = await serviceWithPlugins(gw, up.url, [{ name: 'file-log', config: { path, reopen: true } }])
    await sendCounted(`${r.url}?n`, 4)
    await until(async () => counted(path).length >= 4)
    renameSync(path, `${path}.1`)
    await sendCounted(`${r.url}?n`, 3)
    await until(async () => counted(path).length >= 3)
    assert.equal(counted(path).length, 3)
    assert.equal(counted(`${path}.1`).length, 4)
  })
})
