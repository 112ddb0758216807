import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RegexCompiler, regexLiteralPrefix } from './regex.js'

describe('regexLiteralPrefix', () => {
  const cases: Array<[string, string]> = [
    ['/api/v\\d+/users$', '/api/v'],
    ['/users/(?<id>\\d+)', '/users/'],
    ['/items/\\d+$', '/items/'],
    ['/a\\.b/c', '/a.b/c'],
    ['/ab?c', '/a'],
    ['/ab*', '/a'],
    ['/ab{2}', '/a'],
    ['/a\\.?b', '/a'],
    ['/[ab]x', '/'],
    ['/a|/b', ''],
    ['/a(x|y)', '/a'],
    ['/a[|]b', '/a'],
    ['/a[]|]b', '/a'],
    ['/a[[:alpha:]|]', '/a'],
    ['(?i)/CASE', ''],
    ['/x(?x) # |', ''],
    ['/x\\Q|\\E', ''],
    ['/x(?#|)', ''],
    ['/ø/x', '/'],
    ['/x\\d', '/x'],
    ['.*', ''],
  ]
  for (const [pattern, prefix] of cases) {
    it(`${pattern} → ${JSON.stringify(prefix)}`, () => assert.equal(regexLiteralPrefix(pattern), prefix))
  }

  it('every match of the compiled path regex starts with the prefix', () => {
    const rc = new RegexCompiler()
    const samples = ['/api/v1/users', '/ab', '/abbc', '/a.b', '/ac', '/aab', '/x1', '/axb', '/a|b']
    for (const [pattern] of cases) {
      const r = rc.path(pattern)
      if ('error' in r) continue
      const prefix = regexLiteralPrefix(pattern)
      for (const s of samples) {
        const m = r.regex.exec(s)
        if (m && m.index === 0) assert.ok(s.startsWith(prefix), `${pattern} matched ${s}`)
      }
    }
  })
})

describe('RegexCompiler', () => {
  it('anchors path regexes at the start only', () => {
    const r = new RegexCompiler().path('/a/\\d+')
    assert.ok('regex' in r)
    assert.equal(r.regex.source, '^\\/a\\/\\d+')
  })

  it('lower-cases header patterns and leaves them unanchored', () => {
    const r = new RegexCompiler().header('^V\\D$')
    assert.ok('regex' in r)
    assert.ok(r.regex.test('v1'))
    assert.ok(!r.regex.test('vx'))
  })

  it('reports invalid patterns', () => {
    const r = new RegexCompiler().path('/a(')
    assert.ok('error' in r)
    assert.match(r.error, /invalid regex/)
  })
})
