import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { translatePcre } from '../util/pcre.js'
import { translateSimple } from './simple-regex.js'

const simple = [
  '/users/(?<id>\\d+)$',
  '/users/(?P<user_id>\\d+)/profile/?(?P<scope>[a-z]*)',
  '/api/v\\d+/users$',
  '/(users/)?1984/(?<subpath>profile)$',
  '/a|/b',
  '/x.y',
  '/a.*?b',
  '/a{2}b{1,}c{1,3}?',
  '/[A-Za-z0-9_-]+/x',
  '/[^/]+/',
  '/[\\d.]+$',
  '/\\.well-known/(?:acme|pki)/\\w+',
  '/status/(re)',
  '/[0]?route',
  '/\\d+"',
  '/a b#c<d>',
  '/(?:a|b)+?c',
]

const fallback = [
  '(?i)/x',
  '/a(?=b)',
  '/a*+',
  '/a++b',
  '/\\s+',
  '/\\Qa.b\\E',
  '/[]a]',
  '/[a-\\d]',
  '/x{,3}',
  '/x{3,1}',
  '/(?<n>a)(?<n>b)',
  '/(a',
  '/a)',
  '/ø',
  '*a',
  '/a\\1',
  '/a]',
  '/a}',
]

const samples = [
  '/users/42',
  '/users/42/',
  '/users/1984/profile',
  '/users/1984/profile/email',
  '/api/v1/users',
  '/api/v12/users/x',
  '/1984/profile',
  '/users/1984/profile',
  '/a',
  '/b',
  '/x/b',
  '/xzy',
  '/x\ny',
  '/x\ry',
  '/a\nb',
  '/aXXb',
  '/aabc',
  '/aabbbccc',
  '/Foo-Bar_9/x',
  '/seg/',
  '/1.2.3',
  '/.well-known/acme/abc',
  '/status/re',
  '/0route',
  '/route',
  '/123"',
  '/a b#c<d>',
  '/ababc',
]

function run(re: RegExp, s: string) {
  const m = re.exec(s)
  return m ? { index: m.index, all: [...m], groups: m.groups ? { ...m.groups } : undefined } : null
}

describe('translateSimple', () => {
  for (const p of simple) {
    it(`handles ${p} like translatePcre`, () => {
      const fast = translateSimple(p)
      assert.ok(fast, 'takes the fast path')
      const full = translatePcre(p)
      assert.ok(!('error' in full))
      const a = new RegExp(`^${fast.source}`, fast.flags)
      const b = new RegExp(`^${full.source}`, full.flags)
      for (const s of samples) assert.deepEqual(run(a, s), run(b, s), `${p} on ${JSON.stringify(s)}`)
    })
  }

  for (const p of fallback) {
    it(`leaves ${p} to translatePcre`, () => assert.equal(translateSimple(p), undefined))
  }
})
