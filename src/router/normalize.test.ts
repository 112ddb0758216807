import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizePath } from '../util/uri.js'
import { hasInvalidUtf8, normalizeRequestPath } from './normalize.js'

describe('normalizeRequestPath (router.md §3.1)', () => {
  it('spec examples', () => {
    assert.equal(normalizeRequestPath('/t/Abc%20123%C3%B8%2f/parent/..//test/./'), '/t/Abc 123ø%2F/test/')
    assert.equal(normalizeRequestPath('/foo/%2E%2E/bar'), '/bar')
  })

  it('cuts the query string at the first `?` from the 2nd character', () => {
    assert.equal(normalizeRequestPath('/a/b?x=1?y'), '/a/b')
    assert.equal(normalizeRequestPath('/a/b?'), '/a/b')
    assert.equal(normalizeRequestPath('/a%3F/b?q=%2e%2e'), '/a%3F/b')
  })

  it('fast path returns the input itself', () => {
    const p = '/api/v1/users/42'
    assert.equal(normalizeRequestPath(p), p)
    assert.equal(normalizeRequestPath('/a.b/c.'), '/a.b/c.')
  })

  it('decodes unreserved escapes, keeps reserved ones upper-cased', () => {
    assert.equal(normalizeRequestPath('/f%6f%6F'), '/foo')
    assert.equal(normalizeRequestPath('/a%2fb%3a'), '/a%2Fb%3A')
    assert.equal(normalizeRequestPath('/%7euser'), '/~user')
  })

  it('removes dot segments, including encoded ones', () => {
    assert.equal(normalizeRequestPath('/a/./b/../c'), '/a/c')
    assert.equal(normalizeRequestPath('/../../x'), '/x')
    assert.equal(normalizeRequestPath('/a/%2e/b'), '/a/b')
    assert.equal(normalizeRequestPath('/a/..'), '/')
    assert.equal(normalizeRequestPath('/route./req'), '/route./req')
    assert.equal(normalizeRequestPath('/route%2E%2E/req'), '/route../req')
  })

  it('merges slashes', () => {
    assert.equal(normalizeRequestPath('//a///b//'), '/a/b/')
    assert.equal(normalizeRequestPath('/a//b?c//d'), '/a/b')
  })

  it('keeps undecodable bytes encoded, which hasInvalidUtf8 detects', () => {
    const p = normalizeRequestPath('/x%fc%80')
    assert.equal(p, '/x%FC%80')
    assert.equal(hasInvalidUtf8(p), true)
    assert.equal(hasInvalidUtf8(normalizeRequestPath('/x%c3%b8%2F%25FC')), false)
    assert.equal(hasInvalidUtf8('/plain'), false)
  })

  it('the fast path agrees with the full normalization', () => {
    let seed = 3
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const parts = ['/', '.', '..', 'a', 'b.c', '%2e', '%2F', '%41', '//', '?', 'x']
    for (let n = 0; n < 5000; n++) {
      const raw = `/${Array.from({ length: 1 + rnd(6) }, () => parts[rnd(parts.length)]).join('')}`
      const q = raw.indexOf('?', 1)
      assert.equal(normalizeRequestPath(raw), normalizePath(q === -1 ? raw : raw.slice(0, q), true), raw)
    }
  })
})
