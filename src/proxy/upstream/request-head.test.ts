import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { isRetryable, UpstreamError } from './errors.js'
import { type HeadFacts, InvalidRequestError, serializeHead } from './request-head.js'

function head(
  method: string,
  headers: string[],
  body: null | Buffer | Readable = null,
): { text: string; facts: HeadFacts } {
  const facts: HeadFacts = { connectionClose: false, streamLength: -1 }
  return { text: serializeHead(method, '/p?q=1', headers, body, facts), facts }
}

describe('serializeHead', () => {
  it('writes the request line and the headers as given, in order', () => {
    const { text } = head('GET', ['Host', 'a.test', 'X-B', 'b', 'x-a', 'a'])
    assert.equal(text, 'GET /p?q=1 HTTP/1.1\r\nHost: a.test\r\nX-B: b\r\nx-a: a\r\n\r\n')
  })

  it('owns framing: caller Content-Length/Transfer-Encoding replaced by the body length', () => {
    const { text } = head(
      'PUT',
      ['Host', 'h', 'Content-Length', '99', 'transfer-encoding', 'chunked'],
      Buffer.from('abc'),
    )
    assert.equal(text, 'PUT /p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n')
  })

  it('announces an empty body for POST/PUT/PATCH only', () => {
    assert.match(head('POST', ['Host', 'h']).text, /Content-Length: 0\r\n/)
    assert.match(head('PATCH', ['Host', 'h', 'Content-Length', '5']).text, /Content-Length: 0\r\n/)
    assert.doesNotMatch(head('GET', ['Host', 'h', 'Content-Length', '5']).text, /Content-Length/i)
    assert.doesNotMatch(head('DELETE', ['Host', 'h']).text, /Content-Length/i)
  })

  it('streams chunked unless the caller gives a Content-Length', () => {
    const chunked = head('POST', ['Host', 'h'], Readable.from([]))
    assert.match(chunked.text, /Transfer-Encoding: chunked\r\n\r\n$/)
    assert.equal(chunked.facts.streamLength, -1)
    const fixed = head('POST', ['Host', 'h', 'content-length', '42'], Readable.from([]))
    assert.match(fixed.text, /Content-Length: 42\r\n\r\n$/)
    assert.doesNotMatch(fixed.text, /chunked/)
    assert.equal(fixed.facts.streamLength, 42)
  })

  it('notices Connection: close', () => {
    assert.equal(head('GET', ['Host', 'h', 'Connection', 'keep-alive']).facts.connectionClose, false)
    assert.equal(head('GET', ['Host', 'h', 'connection', 'Upgrade, Close']).facts.connectionClose, true)
  })

  it('rejects what would corrupt the head: CR/LF, NUL, non-latin1, bad names, bad method/target', () => {
    for (const v of ['a\r\nX-Injected: 1', 'a\nb', 'a\0b', 'caf\u0100', 'a\x7fb']) {
      assert.throws(() => head('GET', ['Host', 'h', 'X-A', v]), InvalidRequestError, JSON.stringify(v))
    }
    assert.throws(() => head('GET', ['Bad Name', 'v']), InvalidRequestError)
    assert.throws(() => head('GET', ['', 'v']), InvalidRequestError)
    assert.throws(() => head('GET', ['Content-Length', 'x']), InvalidRequestError)
    assert.throws(
      () => serializeHead('GE T', '/', [], null, { connectionClose: false, streamLength: -1 }),
      InvalidRequestError,
    )
    assert.throws(
      () => serializeHead('GET', '/a b', [], null, { connectionClose: false, streamLength: -1 }),
      InvalidRequestError,
    )
    assert.throws(
      () => serializeHead('GET', '', [], null, { connectionClose: false, streamLength: -1 }),
      InvalidRequestError,
    )
    // Tabs and obs-text are valid field content.
    assert.match(head('GET', ['X-A', 'a\tb \xe9']).text, /X-A: a\tb \xe9\r\n/)
  })
})

describe('UpstreamError retryability (proxying.md §3)', () => {
  const base = { responseStarted: false, requestSent: true, idempotent: true, bodyStreamStarted: false }

  it('connection establishment failures are retryable for every method', () => {
    for (const kind of ['connect_refused', 'connect_timeout', 'connect_error', 'tls_error'] as const) {
      assert.equal(isRetryable(kind, { ...base, requestSent: false, idempotent: false }), true, kind)
    }
  })

  it('errors before the response head are retryable for idempotent methods', () => {
    for (const kind of ['write_timeout', 'read_timeout', 'reset'] as const) {
      assert.equal(isRetryable(kind, base), true, kind)
      assert.equal(isRetryable(kind, { ...base, idempotent: false }), false, `${kind} POST`)
      assert.equal(isRetryable(kind, { ...base, bodyStreamStarted: true }), false, `${kind} streamed`)
    }
  })

  it('never once the response started, never for an invalid response', () => {
    assert.equal(isRetryable('reset', { ...base, responseStarted: true }), false)
    assert.equal(isRetryable('invalid_response', base), false)
  })

  it('carries kind, flags, code and the timeout classification', () => {
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
    const err = new UpstreamError('reset', 'upstream connection failed', base, cause)
    assert.equal(err.kind, 'reset')
    assert.equal(err.code, 'ECONNRESET')
    assert.equal(err.retryable, true)
    assert.equal(err.isTimeout, false)
    assert.equal(err.cause, cause)
    assert.equal(new UpstreamError('read_timeout', 't', base).isTimeout, true)
  })
})
