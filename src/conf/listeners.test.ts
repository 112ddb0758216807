import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { listenerUsage, parseListeners } from './listeners.js'

const HTTP_USAGE =
  'admin_listen must be of form: [off] | <ip>:<port> [ssl] [http2] [proxy_protocol] [deferred] [bind] ' +
  '[reuseport] [backlog=%d+] [ipv6only=on] [ipv6only=off] [so_keepalive=on] [so_keepalive=off] ' +
  '[so_keepalive=%w*:%w*:%d*], [... next entry ...]'

const STREAM_USAGE =
  'stream_listen must be of form: [off] | <ip>:<port> [udp] [ssl] [proxy_protocol] [bind] [reuseport] ' +
  '[backlog=%d+] [ipv6only=on] [ipv6only=off] [so_keepalive=on] [so_keepalive=off] ' +
  '[so_keepalive=%w*:%w*:%d*], [... next entry ...]'

describe('parseListeners', () => {
  it("parses Kong's default proxy_listen", () => {
    const listeners = parseListeners(
      'proxy_listen',
      '0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384',
    )
    assert.deepEqual(listeners, [
      {
        ip: '0.0.0.0',
        port: 8000,
        ssl: false,
        http2: false,
        proxy_protocol: false,
        deferred: false,
        bind: false,
        reuseport: true,
        udp: false,
        backlog: 16384,
        listener: '0.0.0.0:8000 reuseport backlog=16384',
      },
      {
        ip: '0.0.0.0',
        port: 8443,
        ssl: true,
        http2: true,
        proxy_protocol: false,
        deferred: false,
        bind: false,
        reuseport: true,
        udp: false,
        backlog: 16384,
        // Kong leaves http2 out of the normalised form.
        listener: '0.0.0.0:8443 ssl reuseport backlog=16384',
      },
    ])
  })

  it('reads every HTTP flag, wherever it is written', () => {
    const [l] = parseListeners(
      'proxy_listen',
      'deferred 127.0.0.1:80 ssl http2 proxy_protocol bind reuseport backlog=10 ipv6only=off so_keepalive=30m:10:3',
    )
    assert.equal(l.ip, '127.0.0.1')
    assert.equal(l.port, 80)
    for (const flag of ['ssl', 'http2', 'proxy_protocol', 'deferred', 'bind', 'reuseport'] as const) {
      assert.equal(l[flag], true, flag)
    }
    assert.equal(l.backlog, 10)
    assert.equal(l.ipv6only, 'off')
    assert.equal(l.so_keepalive, '30m:10:3')
    assert.equal(
      l.listener,
      '127.0.0.1:80 ssl proxy_protocol deferred bind reuseport backlog=10 ipv6only=off so_keepalive=30m:10:3',
    )
  })

  it('accepts so_keepalive=on|off and ipv6only=on', () => {
    const [a, b] = parseListeners(
      'admin_listen',
      '[::]:8001 ipv6only=on so_keepalive=on, [::]:8002 so_keepalive=off',
    )
    assert.equal(a.ipv6only, 'on')
    assert.equal(a.so_keepalive, 'on')
    assert.equal(b.so_keepalive, 'off')
    assert.equal(b.ipv6only, undefined)
    assert.equal(b.backlog, undefined)
  })

  it('strips the brackets of IPv6 addresses from ip but keeps them in listener', () => {
    const [l] = parseListeners('admin_listen', '[::1]:8001 ssl')
    assert.equal(l.ip, '::1')
    assert.equal(l.port, 8001)
    assert.equal(l.listener, '[::1]:8001 ssl')
  })

  it('accepts hostnames and port 0', () => {
    const [l] = parseListeners('status_listen', 'localhost:0')
    assert.equal(l.ip, 'localhost')
    assert.equal(l.port, 0)
  })

  it('returns no listener for off', () => {
    assert.deepEqual(parseListeners('stream_listen', 'off'), [])
    assert.deepEqual(parseListeners('admin_listen', [' off ']), [])
  })

  it('accepts udp on stream listeners only', () => {
    const [l] = parseListeners('stream_listen', '0.0.0.0:5353 udp reuseport')
    assert.equal(l.udp, true)
    assert.equal(l.listener, '0.0.0.0:5353 udp reuseport')
    assert.throws(() => parseListeners('proxy_listen', '0.0.0.0:53 udp'), {
      message: listenerUsage('proxy_listen'),
    })
    // http2 and deferred are HTTP-only flags.
    assert.throws(() => parseListeners('stream_listen', '0.0.0.0:9000 http2'), { message: STREAM_USAGE })
  })

  it("rejects invalid entries with Kong's usage message", () => {
    assert.equal(listenerUsage('admin_listen'), HTTP_USAGE)
    assert.equal(listenerUsage('stream_listen'), STREAM_USAGE)
    const invalid = [
      '127.0.0.1', // no port
      '127.0.0.1:8001 unknownflag',
      '127.0.0.1:99999',
      '300.0.0.1:80',
      '::1:8001', // IPv6 needs brackets
      '[zz::1]:80',
      '127.0.0.1:80 backlog=many',
      '127.0.0.1:80 127.0.0.2:81',
      'bad host:80',
    ]
    for (const entry of invalid) {
      assert.throws(() => parseListeners('admin_listen', entry), { message: HTTP_USAGE }, entry)
    }
    assert.throws(() => parseListeners('admin_listen', []), { message: HTTP_USAGE })
  })

  it('rejects the whole value when one entry is invalid', () => {
    assert.throws(() => parseListeners('admin_listen', '127.0.0.1:8001, nope'), { message: HTTP_USAGE })
  })
})
