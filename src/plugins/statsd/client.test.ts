// StatsD lines in each tag style, and udp_packet_size gathering (Kong's rules, quirks included).
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { describe, it } from 'node:test'
import { StatsdBatch, statsdLine } from './client.js'

describe('statsd lines', () => {
  it('formats each tag style', () => {
    const tags: [string, string | number][] = [
      ['service', 's'],
      ['status', 200],
    ]
    assert.equal(statsdLine('kong', 'a.b', 1, 'c', 1, null, null), 'kong.a.b:1|c')
    assert.equal(statsdLine('kong', 'a', 5, 'ms', 0.25, null, null), 'kong.a:5|ms|@0.25')
    assert.equal(
      statsdLine('kong', 'a', 1, 'c', 0.5, tags, 'dogstatsd'),
      'kong.a:1|c|@0.5|#service:s,status:200',
    )
    assert.equal(statsdLine('kong', 'a', 1, 'c', 1, tags, 'influxdb'), 'kong.a,service=s,status=200:1|c')
    assert.equal(statsdLine('kong', 'a', 1, 'c', 1, tags, 'librato'), 'kong.a#service=s,status=200:1|c')
    assert.equal(statsdLine('kong', 'a', 1, 'c', 1, tags, 'signalfx'), 'kong.a[service=s,status=200]:1|c')
    assert.equal(statsdLine('kong', 'a', 1, 'c', 1, null, 'signalfx'), 'kong.a:1|c')
  })

  it('gathers lines into datagrams of at most udp_packet_size bytes', async () => {
    const server = dgram.createSocket('udp4')
    const got: string[] = []
    server.on('message', (m) => got.push(m.toString()))
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r))
    try {
      const batch = await StatsdBatch.open('127.0.0.1', server.address().port, false, 20)
      for (const l of ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'a-line-longer-than-twenty', 'dd']) batch.send(l)
      batch.close()
      const deadline = Date.now() + 5000
      while (got.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      // a line that does not fit sends what was gathered and starts the next datagram
      assert.deepEqual(got, ['aaaaaaaa\nbbbbbbbb', 'cccccccc', 'a-line-longer-than-twenty', 'dd'])
    } finally {
      server.close()
    }
  })
})
