import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../helpers/cli.js'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, until, untilStatus } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

async function pids(gw: Gateway): Promise<{ master: number; workers: number[] }> {
  const root = await admin(gw, 'GET', '/')
  return root.pids as { master: number; workers: number[] }
}

/** Sends requests back to back on fresh connections until stopped; counts the outcomes. */
function load(url: string): { stop(): Promise<{ ok: number; failed: string[] }> } {
  let running = true
  let ok = 0
  const failed: string[] = []
  const loop = (async () => {
    while (running) {
      try {
        const res = await send(url)
        if (res.status === 200) ok++
        else failed.push(`status ${res.status}`)
      } catch (err) {
        failed.push((err as Error).message)
      }
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { ok, failed }
    },
  }
}

describe('proxy workers', () => {
  let up: Upstream
  let slow: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('slow done'), 800)
    })
    gw = await startGateway({ proxy: true, workers: 2 })
    await admin(gw, 'POST', '/services', { name: 'w', url: up.url })
    await admin(gw, 'POST', '/services/w/routes', { paths: ['/w'] })
    await admin(gw, 'POST', '/services', { name: 'slow', url: slow.url })
    await admin(gw, 'POST', '/services/slow/routes', { paths: ['/slow'] })
    await untilStatus(`${gw.proxy}/w`, 200)
    await untilStatus(`${gw.proxy}/slow`, 200)
  })
  after(async () => {
    await gw.stop()
    await up.close()
    await slow.close()
  })

  it('runs nginx_worker_processes workers, each with the configuration', async () => {
    const p = await pids(gw)
    assert.equal(p.workers.length, 2)
    assert.ok(!p.workers.includes(p.master))
    // Both workers serve: a change reaches every one of them (each answers with the new route).
    await admin(gw, 'POST', '/services/w/routes', { paths: ['/w-new'] })
    for (let i = 0; i < 20; i++) await untilStatus(`${gw.proxy}/w-new`, 200)
  })

  it('replaces a crashed worker, and traffic continues', async () => {
    const before = await pids(gw)
    process.kill(before.workers[0], 'SIGKILL')
    await until(async () => {
      const now = await pids(gw)
      return now.workers.length === 2 && !now.workers.includes(before.workers[0])
    }, 10_000)
    for (let i = 0; i < 20; i++) assert.equal((await send(`${gw.proxy}/w`)).status, 200)
    assert.match(gw.errorLog(), new RegExp(`proxy worker ${before.workers[0]} exited .*starting a new one`))
  })

  it('reload applies a new configuration without a failed request, Admin API included', async () => {
    const traffic = load(`${gw.proxy}/w`)
    // the Admin API keeps its listeners across a reload that does not change them
    const adminTraffic = load(`${gw.admin}/status`)
    try {
      // an in-flight slow request must complete across the reload
      const inflight = send(`${gw.proxy}/slow`)
      const file = join(gw.prefix, 'reload.conf')
      writeFileSync(file, 'headers = off\n')
      const before = await pids(gw)
      const res = await runCli(['reload', '-p', gw.prefix, '-c', file])
      assert.equal(res.code, 0, res.stderr)
      await until(async () => (await send(`${gw.proxy}/w`)).headers.via === undefined, 10_000)
      await until(async () => (await pids(gw)).workers.every((p) => !before.workers.includes(p)), 10_000)
      const done = await inflight
      assert.equal(done.status, 200)
      assert.equal(done.body, 'slow done')
    } finally {
      const { ok, failed } = await traffic.stop()
      const admin = await adminTraffic.stop()
      assert.deepEqual(failed, [])
      assert.ok(ok > 10, `only ${ok} requests during the reload`)
      assert.deepEqual(admin.failed, [])
      assert.ok(admin.ok > 10, `only ${admin.ok} Admin API requests during the reload`)
    }
  })
})

describe('proxy: quit drains in-flight requests', () => {
  it('finishes a slow request before stopping', async () => {
    const slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('drained'), 700)
    })
    const gw = await startGateway({ proxy: true })
    try {
      await admin(gw, 'POST', '/services', { name: 'q', url: slow.url })
      await admin(gw, 'POST', '/services/q/routes', { paths: ['/q'] })
      await untilStatus(`${gw.proxy}/q`, 200)
      const inflight = send(`${gw.proxy}/q`)
      await new Promise((r) => setTimeout(r, 100))
      const quit = await runCli(['quit', '-p', gw.prefix])
      assert.equal(quit.stdout, 'Kong stopped (gracefully)\n')
      const res = await inflight
      assert.equal(res.status, 200)
      assert.equal(res.body, 'drained')
      // nothing listens any more
      await assert.rejects(send(`${gw.proxy}/q`))
    } finally {
      await gw.stop()
      await slow.close()
    }
  })

  it('reports a proxy port that is taken', async () => {
    const port = await freePort()
    const blocker = http.createServer()
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()))
    try {
      await assert.rejects(startGateway({ env: { PROXY_LISTEN: `127.0.0.1:${port}` } }), /EADDRINUSE/)
    } finally {
      blocker.close()
    }
  })
})
