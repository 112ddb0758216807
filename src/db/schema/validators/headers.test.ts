import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  validateCookieName,
  validateHeaderName,
  validateHttpToken,
  validateRouteHeaderName,
} from './headers.js'

describe('validateHeaderName', () => {
  it('accepts nginx header names', () => {
    for (const n of ['location', 'X-Balance', 'x_under_score', 'A1'])
      assert.equal(validateHeaderName(n), undefined)
  })

  it('rejects other characters', () => {
    for (const n of ['x header', 'x:y', 'x.y', 'é']) {
      assert.equal(
        validateHeaderName(n),
        `bad header name '${n}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`,
      )
    }
    assert.equal(validateHeaderName(''), 'no header name provided')
  })
})

describe('validateRouteHeaderName', () => {
  it("refuses 'host' in any case", () => {
    for (const n of ['host', 'Host', 'HoSt']) {
      assert.equal(
        validateRouteHeaderName(n),
        "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
      )
    }
  })

  it('otherwise validates a header name', () => {
    assert.equal(validateRouteHeaderName('hosts'), undefined)
    assert.equal(validateRouteHeaderName('x-host'), undefined)
    assert.match(validateRouteHeaderName('bad name') ?? '', /^bad header name 'bad name'/)
  })
})

describe('validateHttpToken / validateCookieName', () => {
  const message =
    'contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the characters ()<>@,;:\\"/?={}[] are not allowed.'

  it('accepts RFC 7230 tokens', () => {
    for (const t of ['a_cookie', "!#$%&'*+-.^_`|~09AZaz"]) assert.equal(validateHttpToken(t), undefined, t)
  })

  it('rejects separators, controls and non-ASCII', () => {
    for (const t of [
      'a cookie',
      'a\tb',
      'a;b',
      'a=b',
      'a"b',
      'a\\b',
      'a/b',
      'a[b]',
      'a{b}',
      'a\x01',
      'a\x7f',
      'é',
    ]) {
      assert.equal(validateCookieName(t), message, JSON.stringify(t))
    }
    assert.equal(validateHttpToken(''), 'no token provided')
  })
})
