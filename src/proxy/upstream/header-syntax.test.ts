import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isToken, keepAliveTimeoutHint, listElements, nameIs, parseContentLength } from './header-syntax.js'

describe('header syntax helpers', () => {
  it('isToken', () => {
    assert.equal(isToken('X-Forwarded-For', 0, 15), true)
    assert.equal(isToken("!#$%&'*+-.^_`|~09azAZ", 0, 21), true)
    for (const bad of ['', 'a b', 'a:b', 'a\rb', 'a"b', 'caf\xe9', 'a(b)'])
      assert.equal(isToken(bad, 0, bad.length), false, bad)
  })

  it('nameIs: case-insensitive, exact for tokens, no allocation needed', () => {
    assert.equal(nameIs('Content-Length', 'content-length'), true)
    assert.equal(nameIs('CONTENT-LENGTH', 'content-length'), true)
    assert.equal(nameIs('Content-Lengths', 'content-length'), false)
    assert.equal(nameIs('Content_Length', 'content-length'), false)
    assert.equal(nameIs('Content-Lengt', 'content-length'), false)
  })

  it('parseContentLength', () => {
    assert.equal(parseContentLength('0'), 0)
    assert.equal(parseContentLength(' 42 '), 42)
    assert.equal(parseContentLength('7, 7,7'), 7)
    assert.equal(parseContentLength('999999999999999'), 999999999999999)
    for (const bad of [
      '',
      ' ',
      '-1',
      '+1',
      '1.0',
      '0x10',
      '1e3',
      '7, 8',
      '7,',
      ',7',
      '1 2',
      '9999999999999999',
    ]) {
      assert.equal(parseContentLength(bad), -1, bad)
    }
  })

  it('listElements trims, lower-cases and skips empty elements', () => {
    assert.deepEqual(listElements(' Keep-Alive ,, Upgrade\t'), ['keep-alive', 'upgrade'])
    assert.deepEqual(listElements(''), [])
  })

  it('keepAliveTimeoutHint', () => {
    assert.equal(keepAliveTimeoutHint('timeout=5'), 5000)
    assert.equal(keepAliveTimeoutHint('max=100, timeout=2'), 2000)
    assert.equal(keepAliveTimeoutHint('timeout=5'), 5000)
    assert.equal(keepAliveTimeoutHint('max=100'), -1)
    assert.equal(keepAliveTimeoutHint('timeout=abc'), -1)
  })
})
