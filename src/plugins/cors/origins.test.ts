import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileOriginRegex, luaNumber, matchOrigin, normalizeOrigin, originRule } from './origins.js'

describe('cors origins', () => {
  it('normalizes like LuaSocket url.parse + Kong: default ports dropped, no authority kept as is', () => {
    assert.deepEqual(normalizeOrigin('http://foo.test:80'), { domain: 'http://foo.test', host: 'foo.test' })
    assert.deepEqual(normalizeOrigin('https://foo.test:443'), {
      domain: 'https://foo.test',
      host: 'foo.test',
    })
    assert.deepEqual(normalizeOrigin('http://foo.test:443'), {
      domain: 'http://foo.test:443',
      host: 'foo.test',
    })
    assert.deepEqual(normalizeOrigin('https://bar.test:1234'), {
      domain: 'https://bar.test:1234',
      host: 'bar.test',
    })
    assert.deepEqual(normalizeOrigin('http://user@foo.test/path'), {
      domain: 'http://foo.test',
      host: 'foo.test',
    })
    assert.deepEqual(normalizeOrigin('http://[::1]:8080'), { domain: 'http://::1:8080', host: '::1' })
    assert.deepEqual(normalizeOrigin('example.test'), { domain: 'example.test', host: 'example.test' })
    assert.deepEqual(normalizeOrigin('foo.test:8000'), { domain: 'foo.test:8000', host: 'foo.test:8000' })
    assert.deepEqual(normalizeOrigin('null'), { domain: 'null', host: 'null' })
  })

  it('anchors regexes at both ends, accepting explicit anchors', () => {
    assert.equal(compileOriginRegex('foo\\.test').test('foo.test'), true)
    assert.equal(compileOriginRegex('foo\\.test').test('xfoo.test'), false)
    assert.equal(compileOriginRegex('foo\\.test').test('foo.testx'), false)
    assert.equal(compileOriginRegex('^foo\\.test$').test('foo.test'), true)
    // Like PCRE's anchored flag: every alternative is anchored at the start.
    assert.equal(compileOriginRegex('a|b').test('xb'), false)
  })

  it('classifies configurations: any, fixed, match', () => {
    assert.deepEqual(originRule(null), { kind: 'any' })
    assert.deepEqual(originRule([]), { kind: 'any' })
    assert.deepEqual(originRule(['*']), { kind: 'any' })
    assert.deepEqual(originRule(['http://a.test:8080']), { kind: 'fixed', value: 'http://a.test:8080' })
    const regex = originRule(['(.*\\.)?a\\.test'])
    assert.equal(regex.kind, 'match')
    const star = originRule(['a.test', '*'])
    assert.equal(star.kind === 'match' && star.star, true)
  })

  it('matches plain entries on the normalized origin, regexes on host or origin', () => {
    const rule = originRule(['http://a.test', '(.*\\.)?b\\.test', 'https://c\\.test:8\\d+'])
    assert.ok(rule.kind === 'match')
    const m = (o: string) => matchOrigin(rule.entries, normalizeOrigin(o))
    assert.equal(m('http://a.test:80'), 'http://a.test')
    assert.equal(m('https://a.test'), null)
    assert.equal(m('https://x.b.test:9999'), 'https://x.b.test:9999')
    assert.equal(m('https://c.test:8443'), 'https://c.test:8443')
    assert.equal(m('http://c.test:8443'), null)
  })

  it("writes numbers as Lua's tostring (%.14g)", () => {
    assert.equal(luaNumber(23), '23')
    assert.equal(luaNumber(1728000), '1728000')
    assert.equal(luaNumber(1.5), '1.5')
    assert.equal(luaNumber(-3), '-3')
    assert.equal(luaNumber(0.1), '0.1')
    assert.equal(luaNumber(1 / 3), '0.33333333333333')
    assert.equal(luaNumber(1e20), '1e+20')
    assert.equal(luaNumber(123456789012346), '1.2345678901235e+14')
    assert.equal(luaNumber(0.00001), '1e-05')
  })
})
