// statsd (plugins.md §6.22) through the real gateway with two workers and a UDP receiver on
// 127.0.0.1: configuration checks and defaults, the default metrics' lines, consumer metrics,
// tag styles, several lines per datagram (udp_packet_size), allow_status_codes.
import assert from 'node:assert/strict'
import http from 'node:http'
import { hostname } from 'node:os'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { sendCounted, serviceWithPlugins, startUdpReceiver, type UdpReceiver } from '../../helpers/logging.js'
import { addPlugin, addRoute, refused } from '../../helpers/plugins.js'
import { admin, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const NODE = hostname().replaceAll('.', '_')

describe('statsd', () => {
  let up: Upstream
  let gw: Gateway
  let udp: UdpReceiver
  before(async () => {
    up = await startUpstream()
    udp = await startUdpReceiver()
    gw = await startGateway({ proxy: true, workers: 2 })
  })
  after(async () => {
    await gw.stop()
    await udp.close()
    await up.close()
  })

  it('fills the defaults: Kong’s metric list', async () => {
    const r = await addRoute(gw, up.url)
    const p = await addPlugin(gw, { name: 'statsd' }, `/routes/${r.routeId}`)
    const config = p.config as Record<string, unknown>
    const metrics = config.metrics as Record<string, unknown>[]
    assert.deepEqual(
      metrics.map((m) => [m.name, m.stat_type, m.sample_rate]),
      [
        ['request_count', 'counter', 1],
        ['latency', 'timer', null],
        ['request_size', 'counter', 1],
        ['status_count', 'counter', 1],
        ['response_size', 'counter', 1],
        ['unique_users', 'set', null],
        ['request_per_user', 'counter', 1],
        ['upstream_latency', 'timer', null],
        ['kong_latency', 'timer', null],
        ['status_count_per_user', 'counter', 1],
        ['status_count_per_workspace', 'counter', 1],
        ['status_count_per_user_per_route', 'counter', 1],
        ['shdict_usage', 'gauge', 1],
      ],
    )
    const { metrics: _, queue: __, ...rest } = config
    assert.deepEqual(rest, {
      host: 'localhost',
      port: 8125,
      prefix: 'kong',
      allow_status_codes: null,
      udp_packet_size: 0,
      use_tcp: false,
      hostname_in_prefix: false,
      consumer_identifier_default: 'custom_id',
      service_identifier_default: 'service_name_or_host',
      workspace_identifier_default: 'workspace_id',
      retry_count: null,
      queue_size: null,
      flush_timeout: null,
      tag_style: null,
    })
  })

  it('refuses bad configurations with 400 and the field at fault', async () => {
    const cases: [unknown, unknown][] = [
      [
        { metrics: [{ name: 'nope', stat_type: 'counter', sample_rate: 1 }] },
        {
          metrics: [
            {
              name: 'expected one of: kong_latency, latency, request_count, request_per_user, request_size, response_size, status_count, status_count_per_user, unique_users, upstream_latency, status_count_per_workspace, status_count_per_user_per_route, shdict_usage',
            },
          ],
        },
      ],
      [
        { metrics: [{ name: 'request_count', stat_type: 'counter' }] },
        {
          metrics: [
            {
              sample_rate: 'required field missing',
              '@entity': ["failed conditional validation given value of field 'stat_type'"],
            },
          ],
        },
      ],
      [
        { metrics: [{ name: 'latency', stat_type: 'bar' }] },
        { metrics: [{ stat_type: 'expected one of: counter, gauge, histogram, meter, set, timer' }] },
      ],
      [
        { metrics: [{ name: 'latency', stat_type: 'timer', sample_rate: 0 }] },
        { metrics: [{ sample_rate: 'value must be greater than 0' }] },
      ],
      [
        { metrics: [{ name: 'latency', stat_type: 'timer', consumer_identifier: 'email' }] },
        { metrics: [{ consumer_identifier: 'expected one of: consumer_id, custom_id, username' }] },
      ],
      [{ udp_packet_size: 70000 }, { udp_packet_size: 'value should be between 0 and 65507' }],
      [{ port: 70000 }, { port: 'value should be between 0 and 65535' }],
      [{ tag_style: 'graphite' }, { tag_style: 'expected one of: dogstatsd, influxdb, librato, signalfx' }],
      [{ allow_status_codes: ['2xx'] }, { allow_status_codes: ['invalid value: 2xx'] }],
      [
        { service_identifier_default: 'name' },
        {
          service_identifier_default:
            'expected one of: service_id, service_name, service_host, service_name_or_host',
        },
      ],
    ]
    for (const [config, fields] of cases) {
      const res = await refused(gw, '/plugins', { name: 'statsd', config })
      assert.equal(res.status, 400, JSON.stringify(config))
      assert.equal(res.body.name, 'schema violation')
      assert.deepEqual(res.body.fields, { config: fields }, JSON.stringify(config))
    }
  })

  it('sends the default metrics of each request, named after the service', async () => {
    const prefix = 'plain'
    const r = await serviceWithPlugins(gw, up.url, [
      { name: 'statsd', config: { host: '127.0.0.1', port: udp.port, prefix } },
    ])
    const n = 6
    await sendCounted(r.url, n)
    const ours = () => udp.lines().filter((l) => l.startsWith(`${prefix}.`))
    // the route's first request is counted too
    await until(async () => ours().filter((l) => l.endsWith('.request.count:1|c')).length >= n + 1)
    const scope = `${prefix}.service.${r.serviceName}`
    const lines = ours()
    assert.equal(lines.filter((l) => l === `${scope}.request.count:1|c`).length, n + 1)
    assert.equal(lines.filter((l) => l === `${scope}.status.200:1|c`).length, n + 1)
    assert.ok(lines.some((l) => /^plain\.service\.[^.]+\.latency:\d+\|ms$/.test(l)))
    assert.ok(lines.some((l) => /^plain\.service\.[^.]+\.upstream_latency:\d+\|ms$/.test(l)))
    assert.ok(lines.some((l) => /^plain\.service\.[^.]+\.kong_latency:\d+\|ms$/.test(l)))
    assert.ok(lines.some((l) => /^plain\.service\.[^.]+\.request\.size:\d+\|c$/.test(l)))
    assert.ok(lines.some((l) => /^plain\.service\.[^.]+\.response\.size:\d+\|c$/.test(l)))
    assert.ok(
      lines.includes(`${scope}.workspace.00000000-0000-0000-0000-000000000000.status.200:1|c`),
      'status_count_per_workspace',
    )
    // no consumer: no per-user metrics
    assert.ok(!lines.some((l) => l.includes('.user.')))
  })

  it('sends per-consumer metrics with the configured identifier, and sample rates', async () => {
    const prefix = 'users'
    await admin(gw, 'POST', '/consumers', { username: 'alice', custom_id: 'c-alice' })
    await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'alice-key' })
    const r = await serviceWithPlugins(gw, up.url, [
      { name: 'key-auth', config: {} },
      {
        name: 'statsd',
        config: {
          host: '127.0.0.1',
          port: udp.port,
          prefix,
          consumer_identifier_default: 'username',
          metrics: [
            { name: 'unique_users', stat_type: 'set' },
            {
              name: 'request_per_user',
              stat_type: 'counter',
              sample_rate: 0.5,
              consumer_identifier: 'custom_id',
            },
            { name: 'status_count_per_user_per_route', stat_type: 'counter', sample_rate: 1 },
          ],
        },
      },
    ])
    await sendCounted(r.url, 1, 200, { headers: { apikey: 'alice-key' } })
    const ours = () => udp.lines().filter((l) => l.startsWith(`${prefix}.`))
    await until(async () => ours().length >= 3)
    const scope = `${prefix}.service.${r.serviceName}`
    assert.deepEqual(
      ours().sort(),
      [
        `${prefix}.route.${r.routeId}.user.alice.status.200:1|c`,
        `${scope}.user.c-alice.request.count:1|c|@0.5`,
        `${scope}.user.uniques:alice|s`,
      ].sort(),
    )
  })

  it('tag styles put the service, route, node and status into tags', async () => {
    const styles: Record<string, RegExp> = {
      dogstatsd:
        /^dog\.request\.count:1\|c\|#service:([^,]+),route:([^,]+),workspace:0{8}-0{4}-0{4}-0{4}-0{12},node:([^,]+),status:200$/,
      influxdb:
        /^influx\.request\.count,service=([^,]+),route=([^,]+),workspace=[0-]+,node=([^,]+),status=200:1\|c$/,
      librato:
        /^librato\.request\.count#service=([^,]+),route=([^,]+),workspace=[0-]+,node=([^,]+),status=200:1\|c$/,
      signalfx:
        /^sfx\.request\.count\[service=([^,]+),route=([^,]+),workspace=[0-]+,node=([^,\]]+),status=200\]:1\|c$/,
    }
    const prefixes: Record<string, string> = {
      dogstatsd: 'dog',
      influxdb: 'influx',
      librato: 'librato',
      signalfx: 'sfx',
    }
    for (const [style, re] of Object.entries(styles)) {
      const prefix = prefixes[style]
      const r = await serviceWithPlugins(gw, up.url, [
        {
          name: 'statsd',
          config: {
            host: '127.0.0.1',
            port: udp.port,
            prefix,
            tag_style: style,
            hostname_in_prefix: true,
            // status_count first: once request_count's line is there, status_count was handled
            metrics: [
              { name: 'status_count', stat_type: 'counter', sample_rate: 1 },
              { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
            ],
          },
        },
      ])
      await sendCounted(r.url, 1)
      await until(async () => udp.lines().some((l) => l.startsWith(`${prefix}.`)))
      const line = udp.lines().find((l) => l.startsWith(`${prefix}.`))!
      const m = re.exec(line)
      assert.ok(m, `${style}: ${line}`)
      assert.deepEqual([m[1], m[2], m[3]], [r.serviceName, r.routeName, NODE])
      // status_count is not sent in tag mode; the prefix has no hostname in tag mode
      assert.ok(!udp.lines().some((l) => l.startsWith(`${prefix}.`) && l.includes('status.200')))
    }
  })

  it('gathers lines into datagrams of up to udp_packet_size bytes; hostname_in_prefix', async () => {
    const prefix = 'packed'
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'statsd',
        config: {
          host: '127.0.0.1',
          port: udp.port,
          prefix,
          udp_packet_size: 1000,
          hostname_in_prefix: true,
        },
      },
    ])
    await sendCounted(r.url, 1)
    const ours = () => udp.datagrams.filter((d) => d.startsWith(`${prefix}.`))
    await until(async () => ours().length >= 1)
    const d = ours()[0]
    assert.ok(d.includes('\n'), 'several lines in one datagram')
    assert.ok(Buffer.byteLength(d) <= 1000)
    for (const line of d.split('\n'))
      assert.ok(line.startsWith(`${prefix}.node.${NODE}.service.${r.serviceName}.`), line)
  })

  it('allow_status_codes: only responses in the ranges are counted', async () => {
    const prefix = 'ranged'
    const r = await serviceWithPlugins(gw, up.url, [
      { name: 'request-termination', config: { status_code: 418, message: 'teapot', trigger: 'x-teapot' } },
      {
        name: 'statsd',
        config: {
          host: '127.0.0.1',
          port: udp.port,
          prefix,
          allow_status_codes: ['200-299', '400-417'],
          metrics: [{ name: 'status_count', stat_type: 'counter', sample_rate: 1 }],
        },
      },
    ])
    // one connection, so one worker and one queue: its lines come in the order of the requests
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      await sendCounted(r.url, 3, 418, { agent, headers: { 'x-teapot': '1' } })
      await sendCounted(r.url, 1, 200, { agent })
    } finally {
      agent.destroy()
    }
    const scope = `${prefix}.service.${r.serviceName}`
    // the route's first request and ours
    await until(async () => udp.lines().filter((l) => l === `${scope}.status.200:1|c`).length >= 2)
    assert.ok(!udp.lines().some((l) => l.startsWith(`${scope}.status.418`)))
  })
})
