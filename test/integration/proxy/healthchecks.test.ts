// Health checks through the real gateway (balancer.md §6): active probes mark a stopped server
// unhealthy and a restarted one healthy again, passive checks trip on 500s, the manual endpoints,
// the /health reports, and the state shared by the node's two workers.
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, type ProxyResponse, send, until } from '../../helpers/proxy.js'

interface Server {
  name: string
  port: number
  status: number
  stop(): Promise<void>
  start(): Promise<void>
}

/** A server answering `status` with its name, that can be stopped and started on its port. */
async function server(name: string, port = 0): Promise<Server> {
  let srv: http.Server | null = null
  const sockets = new Set<Socket>()
  const s: Server = {
    name,
    port,
    status: 200,
    async start() {
      srv = http.createServer((_req, res) => {
        res.writeHead(s.status, { 'x-served-by': name })
        res.end(name)
      })
      srv.on('connection', (c: Socket) => {
        sockets.add(c)
        c.on('close', () => sockets.delete(c))
      })
      await new Promise<void>((r) => srv!.listen(s.port, '127.0.0.1', r))
      s.port = (srv.address() as AddressInfo).port
    },
    async stop() {
      if (srv === null) return
      const closing = new Promise<void>((r) => srv!.close(() => r()))
      for (const c of sockets) c.destroy()
      await closing
      srv = null
    },
  }
  await s.start()
  return s
}

let seq = 0

function suite(workers: number) {
  describe(`health checks (${workers} worker${workers > 1 ? 's' : ''})`, () => {
    let gw: Gateway
    before(async () => {
      gw = await startGateway({ proxy: true, workers })
    })
    after(async () => {
      await gw.stop()
    })

    /** An upstream over `servers`, a service and a route; the route's URL once it proxies. */
    async function balanced(
      healthchecks: Record<string, unknown>,
      servers: (Server | string)[],
      service: Record<string, unknown> = {},
    ) {
      seq++
      const name = `hc-${process.pid}-${seq}.test`
      await admin(gw, 'POST', '/upstreams', { name, healthchecks })
      for (const s of servers)
        await admin(gw, 'POST', `/upstreams/${name}/targets`, {
          target: typeof s === 'string' ? s : `127.0.0.1:${s.port}`,
        })
      await admin(gw, 'POST', '/services', { name: `svc-${name}`, host: name, ...service })
      await admin(gw, 'POST', `/services/svc-${name}/routes`, { paths: [`/hc${seq}`] })
      const url = `${gw.proxy}/hc${seq}`
      await until(async () => (await send(url)).status !== 404)
      return { name, url }
    }

    const by = (r: ProxyResponse) => (r.headers['x-served-by'] as string | undefined) ?? `status ${r.status}`

    async function served(url: string, n: number): Promise<Set<string>> {
      const out = new Set<string>()
      for (let i = 0; i < n; i++) out.add(by(await send(url)))
      return out
    }

    async function health(name: string): Promise<Record<string, string>> {
      const body = await admin(gw, 'GET', `/upstreams/${name}/health`)
      const out: Record<string, string> = {}
      for (const t of body.data as { target: string; health: string }[]) out[t.target] = t.health
      return out
    }

    it('active checks: a stopped server turns unhealthy, back to healthy once restarted', async () => {
      const a = await server('a')
      const b = await server('b')
      try {
        const { name, url } = await balanced(
          {
            active: {
              http_path: '/status',
              timeout: 1,
              healthy: { interval: 0.2, successes: 1 },
              unhealthy: { interval: 0.2, tcp_failures: 1, http_failures: 1 },
            },
          },
          [a, b],
        )
        assert.deepEqual(await served(url, 8), new Set(['a', 'b']))
        await b.stop()
        await until(async () => (await health(name))[`127.0.0.1:${b.port}`] === 'UNHEALTHY')
        assert.equal((await health(name))[`127.0.0.1:${a.port}`], 'HEALTHY')
        await until(async () => (await served(url, 4)).size === 1)
        assert.deepEqual(await served(url, 10), new Set(['a']))
        await b.start()
        await until(async () => (await health(name))[`127.0.0.1:${b.port}`] === 'HEALTHY')
        await until(async () => (await served(url, 8)).has('b'))
        // an http failure status counts too
        a.status = 500
        await until(async () => (await health(name))[`127.0.0.1:${a.port}`] === 'UNHEALTHY')
      } finally {
        await a.stop()
        await b.stop()
      }
    })

    it('passive checks trip on 500s; every target down is a 503 from the ring-balancer', async () => {
      const a = await server('a')
      const b = await server('b')
      try {
        const { name, url } = await balanced({ passive: { unhealthy: { http_failures: 2 } } }, [a, b])
        b.status = 500
        // b answers 500 twice in a row (on whichever worker), then gets no more traffic
        await until(async () => {
          await send(url)
          return (await health(name))[`127.0.0.1:${b.port}`] === 'UNHEALTHY'
        })
        await until(async () => (await served(url, 4)).size === 1)
        assert.deepEqual(await served(url, 10), new Set(['a']))
        a.status = 500
        await until(async () => (await send(url)).status === 503)
        assert.equal((await health(name))[`127.0.0.1:${a.port}`], 'UNHEALTHY')
        const r = await send(url)
        assert.equal(JSON.parse(r.body).message, 'failure to get a peer from the ring-balancer')
        // passive checks alone never heal: by hand
        a.status = 200
        const res = await fetch(`${gw.admin}/upstreams/${name}/targets/127.0.0.1:${a.port}/healthy`, {
          method: 'PUT',
        })
        assert.equal(res.status, 204)
        await until(async () => (await send(url)).status === 200)
      } finally {
        await a.stop()
        await b.stop()
      }
    })

    it('passive timeouts trip a target that stops answering; active tcp checks connect only', async () => {
      const a = await server('a')
      const hang = await server('hang')
      const closed = await freePort()
      try {
        // the second target accepts connections and never answers
        const { name, url } = await balanced({ passive: { unhealthy: { timeouts: 2 } } }, [a, hang], {
          read_timeout: 150,
          retries: 0,
        })
        await hang.stop()
        const silent = await import('node:net').then((net) =>
          net.createServer(() => {}).listen(hang.port, '127.0.0.1'),
        )
        try {
          await until(async () => {
            await send(url)
            return (await health(name))[`127.0.0.1:${hang.port}`] === 'UNHEALTHY'
          })
          assert.deepEqual(await served(url, 6), new Set(['a']))
        } finally {
          silent.close()
        }
        const tcp = await balanced(
          {
            active: {
              type: 'tcp',
              healthy: { interval: 0.2, successes: 1 },
              unhealthy: { interval: 0.2, tcp_failures: 1 },
            },
          },
          [a, `127.0.0.1:${closed}`],
        )
        await until(async () => (await health(tcp.name))[`127.0.0.1:${closed}`] === 'UNHEALTHY')
        assert.equal((await health(tcp.name))[`127.0.0.1:${a.port}`], 'HEALTHY')
      } finally {
        await a.stop()
      }
    })

    it('the manual endpoints, for a target and for its address', async () => {
      const a = await server('a')
      const b = await server('b')
      try {
        const { name, url } = await balanced({ passive: { unhealthy: { tcp_failures: 5 } } }, [a, b])
        const put = async (path: string) =>
          (await fetch(`${gw.admin}/upstreams/${name}/targets/${path}`, { method: 'PUT' })).status
        assert.equal(await put(`127.0.0.1:${b.port}/unhealthy`), 204)
        await until(async () => (await served(url, 6)).size === 1)
        assert.deepEqual(await served(url, 6), new Set(['a']))
        assert.equal(await put(`127.0.0.1:${b.port}/127.0.0.1:${b.port}/healthy`), 204)
        await until(async () => (await served(url, 8)).has('b'))
        assert.equal(await put('127.0.0.1:1/unhealthy'), 404)
        assert.equal(await put(`127.0.0.1:${b.port}/10.9.9.9:80/unhealthy`), 400)
        assert.equal(
          (await fetch(`${gw.admin}/upstreams/nope/targets/x/healthy`, { method: 'PUT' })).status,
          404,
        )
      } finally {
        await a.stop()
        await b.stop()
      }
    })

    it('/health and ?balancer_health=1 report Kong shapes; HEALTHCHECKS_OFF without checks', async () => {
      const a = await server('a')
      const closed = await freePort()
      try {
        const { name } = await balanced({}, [a])
        const body = await admin(gw, 'GET', `/upstreams/${name}/health`)
        assert.equal(typeof body.node_id, 'string')
        assert.equal(body.next, null)
        const [t] = body.data as Record<string, unknown>[]
        assert.equal(t.target, `127.0.0.1:${a.port}`)
        assert.equal(t.health, 'HEALTHCHECKS_OFF')
        assert.deepEqual(t.data, {
          host: '127.0.0.1',
          port: a.port,
          nodeWeight: 100,
          dns: 'A',
          weight: { total: 100, available: 100, unavailable: 0 },
          addresses: [{ ip: '127.0.0.1', port: a.port, weight: 100, health: 'HEALTHCHECKS_OFF' }],
        })
        const checked = await balanced({ passive: { unhealthy: { tcp_failures: 1 } } }, [
          a,
          `127.0.0.1:${closed}`,
        ])
        await admin(gw, 'PUT', `/upstreams/${checked.name}/targets/127.0.0.1:${closed}/unhealthy`)
        const bh = (await admin(gw, 'GET', `/upstreams/${checked.name}/health?balancer_health=1`))
          .data as Record<string, unknown>
        assert.equal(bh.health, 'HEALTHY')
        assert.equal(bh.balancer_health, 'HEALTHY')
        const details = bh.details as { healthy: boolean; weight: unknown; hosts: unknown[] }
        assert.equal(details.healthy, true)
        assert.deepEqual(details.weight, { total: 200, available: 100, unavailable: 100 })
        assert.equal(details.hosts.length, 2)
        assert.equal((await fetch(`${gw.admin}/upstreams/nope/health`)).status, 404)
      } finally {
        await a.stop()
      }
    })
  })
}

suite(1)
suite(2)
