import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParseEvent, ResponseParser } from './response-parser.js'

interface Parsed {
  heads: { status: number; statusText: string; headers: string[] }[]
  body: string
  trailers: readonly string[] | null
  upgrade: boolean
  error: string | null
  keepAlive: boolean
  keepAliveHint: number
  rest: string
  /** Body pieces delivered (to check zero-copy slicing does not merge or drop anything). */
  pieces: number
}

/** Feeds `raw` cut at `cuts` (offsets) and drives the parser as the connection does; EOF at the end. */
function parse(
  raw: string,
  cuts: number[] = [],
  opts: { head?: boolean; eof?: boolean; max?: number } = {},
): Parsed {
  const p = new ResponseParser(opts.max ?? 64 * 1024)
  p.reset(opts.head ?? false)
  const out: Parsed = {
    heads: [],
    body: '',
    trailers: null,
    upgrade: false,
    error: null,
    keepAlive: false,
    keepAliveHint: -1,
    rest: '',
    pieces: 0,
  }
  const bytes = Buffer.from(raw, 'latin1')
  const points = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length]
  let stopped = false
  for (let i = 0; i + 1 < points.length; i++) {
    const piece = bytes.subarray(points[i], points[i + 1])
    if (stopped) {
      // After a 101 the socket's later bytes belong to the new protocol.
      if (out.upgrade) out.rest += piece.toString('latin1')
      continue
    }
    p.feed(piece)
    stopped = drain(p, out)
  }
  if (!stopped && (opts.eof ?? true)) {
    if (p.finish() === ParseEvent.End) {
      out.trailers = p.trailers
      out.keepAlive = p.keepAlive
    }
  }
  return out
}

function drain(p: ResponseParser, out: Parsed): boolean {
  while (true) {
    switch (p.next()) {
      case ParseEvent.NeedMore:
        return false
      case ParseEvent.Head:
        out.heads.push({ status: p.statusCode, statusText: p.statusText, headers: p.headers })
        break
      case ParseEvent.Body:
        out.body += p.chunk.toString('latin1')
        out.pieces++
        break
      case ParseEvent.End:
        out.trailers = p.trailers
        out.keepAlive = p.keepAlive
        out.keepAliveHint = p.keepAliveHint
        out.rest = p.hasRest() ? p.takeRest().toString('latin1') : ''
        return true
      case ParseEvent.Upgrade:
        out.heads.push({ status: p.statusCode, statusText: p.statusText, headers: p.headers })
        out.upgrade = true
        out.rest = p.takeRest().toString('latin1')
        return true
      case ParseEvent.Error:
        out.error = p.error
        return true
    }
  }
}

/** Deterministic cut points: whole, every byte, and a few pseudo-random partitions. */
function cutSets(length: number): number[][] {
  const sets: number[][] = [[], Array.from({ length }, (_, i) => i)]
  let seed = length * 7919
  for (let k = 0; k < 6; k++) {
    const cuts: number[] = []
    for (let i = 0; i < 4; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      cuts.push(seed % length)
    }
    sets.push(cuts.sort((a, b) => a - b))
  }
  return sets
}

/** Parses with every cut set and checks they all agree; returns the result. */
function parseAll(raw: string, opts: { head?: boolean; eof?: boolean; max?: number } = {}): Parsed {
  const results = cutSets(raw.length).map((cuts) => parse(raw, cuts, opts))
  const norm = (r: Parsed) => ({ ...r, pieces: 0 })
  for (const r of results.slice(1)) assert.deepEqual(norm(r), norm(results[0]))
  return results[0]
}

describe('ResponseParser: framing', () => {
  it('Content-Length body, raw header names and order kept, keep-alive', () => {
    const r = parseAll('HTTP/1.1 200 OK\r\nX-B: 1\r\ncontent-LENGTH: 5\r\nX-A:  two  words \r\n\r\nhello')
    assert.deepEqual(r.heads, [
      { status: 200, statusText: 'OK', headers: ['X-B', '1', 'content-LENGTH', '5', 'X-A', 'two  words'] },
    ])
    assert.equal(r.body, 'hello')
    assert.deepEqual(r.trailers, [])
    assert.equal(r.keepAlive, true)
    assert.equal(r.error, null)
  })

  it('Content-Length: 0 and a body-less 200 end at the head', () => {
    const r = parseAll('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    assert.equal(r.body, '')
    assert.deepEqual(r.trailers, [])
  })

  it('chunked: decoded data, extensions ignored, trailers passed on', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n' +
      '1 ; x\r\n \r\n' +
      'A\r\n0123456789\r\n' +
      '0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n'
    const r = parseAll(raw)
    assert.equal(r.body, 'hello 0123456789')
    assert.deepEqual(r.trailers, ['X-Checksum', 'abc', 'X-Other', 'd'])
    assert.equal(r.keepAlive, true)
  })

  it('chunked without trailers, hex sizes in both cases', () => {
    const r = parseAll(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nf\r\n0123456789abcde\r\nF\r\n0123456789ABCDE\r\n0\r\n\r\n',
    )
    assert.equal(r.body, '0123456789abcde0123456789ABCDE')
    assert.deepEqual(r.trailers, [])
  })

  it('a final coding other than chunked, or no framing: close-delimited, never reused', () => {
    for (const raw of [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\nX: y\r\n\r\nabc',
      'HTTP/1.0 200 OK\r\n\r\nabc',
    ]) {
      const r = parseAll(raw)
      assert.equal(r.body, 'abc', raw)
      assert.deepEqual(r.trailers, [], raw)
      assert.equal(r.keepAlive, false, raw)
    }
  })

  it('close-delimited body without EOF is not complete', () => {
    const r = parse('HTTP/1.1 200 OK\r\n\r\nabc', [], { eof: false })
    assert.equal(r.body, 'abc')
    assert.equal(r.trailers, null)
  })

  it('Transfer-Encoding "gzip, chunked" is chunked', () => {
    const r = parseAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')
    assert.equal(r.body, 'abc')
    assert.equal(r.keepAlive, true)
  })

  it('HEAD, 204 and 304 have no body whatever the headers say', () => {
    const head = parseAll('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { head: true })
    assert.equal(head.body, '')
    assert.deepEqual(head.trailers, [])
    const chunkedHead = parseAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', { head: true })
    assert.deepEqual(chunkedHead.trailers, [])
    for (const status of [204, 304]) {
      const r = parseAll(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`)
      assert.equal(r.heads[0].status, status)
      assert.equal(r.body, '')
      assert.deepEqual(r.trailers, [])
      assert.equal(r.keepAlive, true)
    }
  })

  it('skips interim 1xx responses (100, 102, 103) before the final one', () => {
    const r = parseAll(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    )
    assert.equal(r.heads.length, 1)
    assert.equal(r.heads[0].status, 200)
    assert.equal(r.body, 'ok')
  })

  it('101 stops the parser and hands over the bytes that follow', () => {
    const r = parseAll(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi',
    )
    assert.equal(r.upgrade, true)
    assert.equal(r.heads[0].status, 101)
    assert.deepEqual(r.heads[0].headers, ['Upgrade', 'websocket', 'Connection', 'Upgrade'])
    assert.equal(r.rest, '\x81\x02hi')
  })

  it('bytes after the end of the message are left for the owner', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA')
    assert.equal(r.body, 'ok')
    assert.equal(r.rest, 'EXTRA')
  })
})

describe('ResponseParser: head syntax', () => {
  it('keep-alive rules: 1.1 default on, Connection: close off, 1.0 needs keep-alive', () => {
    assert.equal(
      parseAll('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive,
      false,
    )
    assert.equal(
      parseAll('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n').keepAlive,
      false,
    )
    assert.equal(parseAll('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, false)
    assert.equal(
      parseAll('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').keepAlive,
      true,
    )
  })

  it('reads the Keep-Alive timeout hint', () => {
    const r = parseAll('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n')
    assert.equal(r.keepAliveHint, 5000)
  })

  it('accepts bare LF line endings, a missing reason phrase and leading empty lines', () => {
    const r = parseAll('\r\n\nHTTP/1.1 404\nX-A: 1\nContent-Length: 3\n\nabc')
    assert.equal(r.heads[0].status, 404)
    assert.equal(r.heads[0].statusText, '')
    assert.deepEqual(r.heads[0].headers, ['X-A', '1', 'Content-Length', '3'])
    assert.equal(r.body, 'abc')
  })

  it('keeps a reason phrase with spaces and obs-text, empty values, and unfolds obs-fold', () => {
    const r = parseAll(
      'HTTP/1.1 599 Very \xe9trange reason\r\nX-Empty:\r\nX-Fold: a\r\n  b\r\n\tc\r\nContent-Length: 0\r\n\r\n',
    )
    assert.equal(r.heads[0].statusText, 'Very \xe9trange reason')
    assert.deepEqual(r.heads[0].headers, ['X-Empty', '', 'X-Fold', 'a b c', 'Content-Length', '0'])
  })

  it('accepts repeated identical Content-Length values and lists of them', () => {
    assert.equal(parseAll('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc').body, 'abc')
    assert.equal(parseAll('HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc').body, 'abc')
  })

  it('a body piece is a view of the input, not a copy', () => {
    const p = new ResponseParser(1024)
    p.reset(false)
    const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc')
    p.feed(input)
    assert.equal(p.next(), ParseEvent.Head)
    assert.equal(p.next(), ParseEvent.Body)
    assert.equal(p.chunk.buffer, input.buffer)
    assert.equal(p.next(), ParseEvent.End)
  })
})

describe('ResponseParser: invalid responses', () => {
  const invalid: [string, string][] = [
    ['garbage status line', 'hello world\r\n\r\n'],
    ['HTTP/2 status line', 'HTTP/2 200 OK\r\n\r\n'],
    ['two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['status 099', 'HTTP/1.1 099 X\r\n\r\n'],
    ['no space after status', 'HTTP/1.1 200OK\r\n\r\n'],
    ['lower-case protocol', 'http/1.1 200 OK\r\n\r\n'],
    ['space before colon', 'HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n'],
    ['space in name', 'HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n'],
    ['line without colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n'],
    ['empty name', 'HTTP/1.1 200 OK\r\n: v\r\n\r\n'],
    ['NUL in value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n'],
    ['control char in value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n'],
    ['bare CR in value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n'],
    ['obs-fold before any header', 'HTTP/1.1 200 OK\r\n folded\r\n\r\n'],
    [
      'CL and TE',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    ['differing CL', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['differing CL list', 'HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd'],
    ['non-numeric CL', 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n'],
    ['negative CL', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['CL with sign', 'HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc'],
    ['huge CL', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n'],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n'],
    ['chunked not final', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n'],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
    ['empty chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n'],
    ['negative chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n'],
    ['chunk size overflow', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n'],
    ['chunk data too long', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n'],
    [
      'CR without LF in size line',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n',
    ],
    ['bad trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n'],
  ]
  for (const [name, raw] of invalid) {
    it(`rejects: ${name}`, () => {
      for (const cuts of cutSets(raw.length)) {
        const r = parse(raw, cuts)
        assert.ok(r.error !== null, `${name} (cuts ${cuts.slice(0, 8)}) should fail`)
      }
    })
  }

  it('rejects a head larger than the limit, complete or not', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`
    assert.match(parse(big, [], { max: 1024 }).error ?? '', /too large/)
    assert.match(parse(big.slice(0, 1500), [100, 600, 1200], { max: 1024 }).error ?? '', /too large/)
    assert.equal(parse(big, [], { max: 4096 }).error, null)
  })

  it('rejects a trailer section larger than the limit', () => {
    const raw = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'t'.repeat(3000)}\r\n\r\n`
    assert.match(parse(raw, [60, 900], { max: 1024 }).error ?? '', /too large/)
  })

  it('rejects an endless series of interim responses', () => {
    const raw = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(40)
    assert.match(parse(raw).error ?? '', /interim/)
  })
})
