import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  CapturesTable,
  compileTemplate,
  formatNumber,
  fromJs,
  type LuaValue,
  parseExpression,
  RecordTable,
  renderTemplate,
  scopeOf,
  stringToNumber,
  TemplateRuntimeError,
  TemplateSyntaxError,
} from './template.js'

const scope = scopeOf((name): LuaValue => {
  switch (name) {
    case 'headers':
      return new RecordTable(
        { host: 'test15.test', 'x-foo': ['1', '2'], 'x-remove-header': 'its a test' },
        true,
      )
    case 'query_params':
      return new RecordTable({ q1: '20', flag: true, multi: ['a', 'b'] })
    case 'uri_captures':
      return new CapturesTable(['/user1/foo/user2/5', 'foo', '5'], { user1: 'foo', user2: '5' })
    case 'shared':
      return fromJs({ my_version: '1.2.3', nested: { list: [1, 2] }, n: 3 })
    default:
      return undefined
  }
})

function render(src: string): string {
  return renderTemplate(compileTemplate(src), scope)
}

describe('request-transformer templates', () => {
  it('reads the four request tables by field and by index', () => {
    assert.equal(render('$(uri_captures.user1)'), 'foo')
    assert.equal(render('$(uri_captures[0])'), '/user1/foo/user2/5')
    assert.equal(render('$(uri_captures[1])-$(uri_captures["user2"])'), 'foo-5')
    assert.equal(render("$(headers['x-remove-header'])"), 'its a test')
    assert.equal(render('$(headers.host)'), 'test15.test')
    assert.equal(render('$(headers.X_Remove_Header)'), 'its a test')
    assert.equal(render('$(query_params.q1)'), '20')
    assert.equal(render('$(query_params.flag)'), 'true')
    assert.equal(render('$(shared.my_version)'), '1.2.3')
    assert.equal(render('$(shared.nested.list[2])'), '2')
  })

  it('renders nil and false as empty text; keeps text around expressions', () => {
    assert.equal(render('/a/$(uri_captures.nope)/b'), '/a//b')
    assert.equal(render('$(false)'), '')
    assert.equal(render('x$(query_params.q1)y$(uri_captures.user1)z'), 'x20yfooz')
    assert.equal(render('$(headers["x-foo"])'), '1, 2')
  })

  it('supports or/and fallbacks, comparisons, concatenation, arithmetic with coercion', () => {
    assert.equal(render("$(uri_captures.user9 or 'default1')"), 'default1')
    assert.equal(render("$(uri_captures.user1 or 'default1')"), 'foo')
    assert.equal(
      render('$(type(headers["x-foo"]) == "table" and headers["x-foo"][1] .. "-first" or headers["x-foo"])'),
      '1-first',
    )
    assert.equal(render('$(10 * uri_captures.user2)'), '50')
    assert.equal(render('$(7 / 2)'), '3.5')
    assert.equal(render('$(-7 % 3)'), '2')
    assert.equal(render('$(2 ^ 10)'), '1024')
    assert.equal(render('$(1 .. 2)'), '12')
    assert.equal(render('$(#"héllo")'), '6')
    assert.equal(render('$(#query_params.multi)'), '2')
    assert.equal(render('$(not nil)'), 'true')
    assert.equal(render('$(1 < 2 and "a" < "b")'), 'true')
    assert.equal(render('$(shared.n ~= 3)'), '')
    assert.equal(render('$(1 + 2 * 3 ^ 2)'), '19')
    assert.equal(render('$(2 ^ 3 ^ 2)'), '512')
    assert.equal(render('$("a" .. "b" .. "c")'), 'abc')
  })

  it('has the string functions, also as methods, and tonumber/tostring', () => {
    assert.equal(render('$(string.sub(headers.host, 1, 5))'), 'test1')
    assert.equal(render('$(headers.host:upper())'), 'TEST15.TEST')
    assert.equal(render('$(("ABC"):lower())'), 'abc')
    assert.equal(render('$(string.sub("hello", -3))'), 'llo')
    assert.equal(render('$(string.len("abc"))'), '3')
    assert.equal(render('$(tonumber("0x10") + 1)'), '17')
    assert.equal(render('$(tonumber("z", 36))'), '35')
    assert.equal(render('$(tonumber("nope") or "nan")'), 'nan')
    assert.equal(render('$(tostring(nil))'), 'nil')
    assert.equal(render('$(type(string.sub))'), 'function')
  })

  it('parses Lua literals: long strings, escapes, hex and exponent numbers', () => {
    assert.equal(render('$([[raw]])'), 'raw')
    assert.equal(render('$([==[a]]b]==])'), 'a]]b')
    assert.equal(render('$("tab\\there")'), 'tab\there')
    assert.equal(render('$("\\65\\x42")'), 'AB')
    assert.equal(render('$(0xff)'), '255')
    assert.equal(render('$(1e3)'), '1000')
    assert.equal(render('$(.5)'), '0.5')
    assert.equal(render('$(1 -- a comment\n + 1)'), '2')
  })

  it("finds `$(…)` as Lua's %b() does: nested parens and literal leftovers", () => {
    assert.equal(render("$('$(uri_captures.user1)')"), '$(uri_captures.user1)')
    assert.equal(render('$(abc'), '$(abc')
    assert.equal(render('$(x $(uri_captures.user1)'), '$(x foo')
    assert.equal(render('cost: $5'), 'cost: $5')
    assert.equal(compileTemplate('plain').parts, null)
    assert.equal(compileTemplate('a $(b) c').hasExpr, true)
    assert.equal(compileTemplate('$(').hasExpr, false)
  })

  it('reports syntax errors when used, and refuses what it does not support', () => {
    const bad = compileTemplate('$(shared.written = true)')
    assert.match(bad.error ?? '', /expected near '='/)
    assert.throws(() => renderTemplate(bad, scope), TemplateSyntaxError)
    assert.throws(() => parseExpression('uri_captures user2'), TemplateSyntaxError)
    assert.throws(() => parseExpression('function() end'), /function definitions are not supported/)
    assert.throws(() => parseExpression('{1}'), /table constructors/)
    assert.throws(() => parseExpression('"open'), /unfinished string/)
    assert.throws(() => parseExpression('3..4'), /malformed number/)
    assert.throws(() => parseExpression('('.repeat(500) + '1' + ')'.repeat(500)), /too complex/)
  })

  it('fails at run time like Lua: calling nil, arithmetic on text, indexing nil', () => {
    assert.throws(
      () => render('$(foo(headers["User-Agent"]))'),
      /attempt to call a nil value \(global 'foo'\)/,
    )
    assert.throws(() => render('$(ERROR())'), TemplateRuntimeError)
    assert.throws(() => render('$(10 * uri_captures.user1)'), /arithmetic on a string value/)
    assert.throws(() => render('$(uri_captures.nope.x)'), /attempt to index a nil value \(field 'nope'\)/)
    assert.throws(() => render('$(1 < "2")'), /attempt to compare number with string/)
    assert.throws(() => render('$(nil .. "x")'), /concatenate a nil value/)
    assert.throws(() => render('$(string.sub())'), /bad argument #1 to 'sub'/)
  })

  it('never reaches JavaScript internals', () => {
    assert.equal(render('$(shared.constructor)'), '')
    assert.equal(render('$(headers.__proto__)'), '')
    assert.equal(render('$(("x").constructor)'), '')
    assert.equal(render('$(shared.toString)'), '')
    assert.equal(render('$(process or require or globalThis or eval)'), '')
    const withFn = scopeOf((n) => (n === 'shared' ? fromJs({ f: () => 'called' }) : undefined))
    assert.throws(
      () => renderTemplate(compileTemplate('$(shared.f())'), withFn),
      /attempt to call a nil value/,
    )
  })

  it("formats numbers as Lua's %.14g and converts strings as tonumber does", () => {
    assert.equal(formatNumber(0.1 + 0.2), '0.3')
    assert.equal(formatNumber(1e15), '1e+15')
    assert.equal(formatNumber(123456789012346), '1.2345678901235e+14')
    assert.equal(formatNumber(1 / 3), '0.33333333333333')
    assert.equal(formatNumber(1e-5), '1e-05')
    assert.equal(formatNumber(-2.5), '-2.5')
    assert.equal(formatNumber(1 / 0), 'inf')
    assert.equal(stringToNumber(' 12 '), 12)
    assert.equal(stringToNumber('1e2'), 100)
    assert.equal(stringToNumber('-0x10'), -16)
    assert.equal(stringToNumber(''), undefined)
    assert.equal(stringToNumber('12abc'), undefined)
  })
})
