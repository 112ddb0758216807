import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { translatePcre } from './pcre.js'

function compile(pattern: string): RegExp {
  const t = translatePcre(pattern)
  if ('error' in t) assert.fail(`${pattern}: ${t.kind} error ${t.error}`)
  return new RegExp(t.source, t.flags)
}

function full(pattern: string, input: string): boolean {
  const t = translatePcre(pattern)
  if ('error' in t) assert.fail(`${pattern}: ${t.kind} error ${t.error}`)
  return new RegExp(`^(?:${t.source})$`, t.flags).test(input)
}

function syntaxError(pattern: string): string {
  const t = translatePcre(pattern)
  assert.ok('error' in t && t.kind === 'syntax', `${pattern} should be a syntax error`)
  return t.error
}

function unsupported(pattern: string): string {
  const t = translatePcre(pattern)
  assert.ok('error' in t && t.kind === 'unsupported', `${pattern} should be unsupported`)
  return t.error
}

describe('translatePcre: plain patterns', () => {
  it('escapes what JavaScript u-mode needs escaped', () => {
    const t = translatePcre('/\\/*/user$')
    assert.ok(!('error' in t))
    assert.equal(t.source, '\\/\\/*\\/user$')
    assert.equal(t.flags, 'u')
    assert.ok(full('/]}{', '/]}{'), 'lone ] } { are literals in PCRE')
    assert.ok(full('/a{,3}', '/a{,3}'), '{,3} is not a quantifier in PCRE2 10.42')
    assert.ok(full('/a{2}b{1,}c{1,2}', '/aabbbcc'))
    assert.ok(full('/é+', '/éé'))
  })

  it('reports capture counts and names in order', () => {
    const t = translatePcre('/(?P<version>v\\d+)/(x)/(?<id>\\d+)')
    assert.ok(!('error' in t))
    assert.deepEqual(t.names, ['version', 'id'])
    assert.equal(t.captures, 3)
    const m = new RegExp(t.source, t.flags).exec('/v2/x/42')
    assert.equal(m?.groups?.version, 'v2')
    assert.equal(m?.groups?.id, '42')
    assert.equal(m?.[2], 'x')
  })

  it("accepts every PCRE named-group spelling: (?P<n>), (?<n>), (?'n')", () => {
    for (const p of ['(?P<n>a)', '(?<n>a)', "(?'n'a)"]) {
      const t = translatePcre(p)
      assert.ok(!('error' in t))
      assert.equal(t.source, '(?<n>a)')
    }
  })
})

describe('translatePcre: backreferences', () => {
  it('translates numeric, relative and named references', () => {
    assert.ok(full('(a)\\1', 'aa'))
    assert.ok(full('(a)\\g1\\g{1}\\g{-1}\\g-1', 'aaaaa'))
    assert.ok(full("(?<x>b)\\k<x>\\k{x}\\k'x'(?P=x)\\g{x}", 'bbbbbb'))
    assert.ok(!full('(a)\\1', 'ab'))
  })

  it('follows PCRE for \\10 and friends: octal unless enough groups', () => {
    assert.ok(full('\\101', 'A'))
    assert.ok(full('(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10', 'abcdefghijj'))
    assert.ok(full('\\0', '\0'))
    assert.ok(full('\\1(a)', 'a'), 'forward reference matches empty, as in PCRE/JS')
  })

  it('rejects references to missing groups', () => {
    assert.equal(syntaxError('(a)\\2'), 'reference to non-existent subpattern')
    assert.equal(syntaxError('\\k<nope>(?<x>a)'), 'reference to non-existent subpattern')
    assert.equal(syntaxError('\\g{-1}'), 'reference to non-existent subpattern')
    assert.equal(syntaxError('\\g{0}'), 'reference to non-existent subpattern')
  })
})

describe('translatePcre: options', () => {
  it('maps a pattern-wide (?i) to the i flag', () => {
    const t = translatePcre('/(?i)users')
    assert.ok(!('error' in t))
    assert.equal(t.flags, 'iu')
    assert.ok(full('/(?i)users', '/USERS'))
    assert.ok(full('(?i)(a)\\1', 'aA'))
  })

  it('expands scoped case-insensitivity', () => {
    assert.ok(full('/(?i:ab)c', '/ABc'))
    assert.ok(!full('/(?i:ab)c', '/ABC'))
    assert.ok(full('/(?i)a(?-i)b', '/Ab'))
    assert.ok(!full('/(?i)a(?-i)b', '/AB'))
    assert.ok(full('x(?i)[a-c]y(?-i)z', 'xBYz'))
    assert.ok(!full('x(?i)[^a-c]', 'xB'), 'negated classes exclude both cases')
    assert.ok(full('(a(?i)b|c)', 'C'), 'options carry over into later alternatives of the group')
    assert.ok(!full('(a(?i)b)c', 'abC'), 'options end with their group')
    assert.ok(full('(?i)É', 'é'))
  })

  it('refuses case-insensitive backreferences it cannot express', () => {
    unsupported('(?i)(a)(?-i)b(?i)\\1')
  })

  it('handles s, m, x, xx, n, U and ^', () => {
    assert.ok(full('(?s)a.b', 'a\nb'))
    assert.ok(!full('a.b', 'a\nb'))
    assert.ok(full('a(?s:.)b.', 'a\nbc'))
    assert.ok(compile('(?m)^b$').test('a\nb\nc'))
    assert.ok(!compile('^b$').test('a\nb\nc'))
    assert.ok(full('(?x) a b # comment\n c \\ d', 'abc d'))
    assert.ok(full('(?x)[ a]', ' '), 'x keeps spaces inside classes')
    assert.ok(!full('(?xx)[ a]', ' '), 'xx ignores them')
    const n = translatePcre('(?n)(a)(?<b>c)')
    assert.ok(!('error' in n))
    assert.equal(n.captures, 1)
    assert.equal(compile('(?U)a+').exec('aaa')?.[0], 'a')
    assert.equal(compile('(?U)a+?').exec('aaa')?.[0], 'aaa')
    assert.ok(full('(?i)a(?^)b', 'Ab'))
    assert.ok(!full('(?i)a(?^)b', 'AB'))
  })

  it('rejects unknown or unsupported options', () => {
    assert.equal(syntaxError('(?z)'), 'unrecognized character after (? or (?-')
    assert.equal(syntaxError('(?'), 'unrecognized character after (? or (?-')
    unsupported('(?J)(?<a>x)')
  })
})

describe('translatePcre: escapes and classes', () => {
  it('translates anchors', () => {
    assert.ok(compile('\\Afoo').test('foo'))
    assert.ok(!compile('\\Afoo').test('xfoo'))
    assert.ok(compile('foo\\z').test('xfoo'))
    assert.ok(!compile('foo\\z').test('foo\n'))
    assert.ok(compile('foo\\Z').test('foo\n'))
    assert.ok(compile('foo\\Z').test('foo'))
    assert.ok(compile('\\bfoo\\B').test('a foox'))
  })

  it('translates character escapes', () => {
    assert.ok(full('\\x41\\x{42}\\o{103}\\cD\\e\\t', 'ABC\x04\x1b\t'))
    assert.ok(full('\\Qa.b*\\E+', 'a.b**'), '\\Q…\\E quotes; the quantifier applies to the last char')
    assert.ok(full('[\\Q]-\\E]+', ']-]'))
    assert.ok(full('\\h\\v\\N', '\t\n.'))
    assert.ok(!full('\\H', ' '))
    assert.ok(full('a\\Rb', 'a\r\nb'))
    assert.ok(full('\\p{Greek}\\pL\\P{L}\\p{^L}\\p{L&}', 'αb12A'))
    assert.ok(full('\\/\\-\\#', '/-#'))
  })

  it('translates POSIX classes', () => {
    assert.ok(full('[[:alpha:]_]+', 'abc_XYZ'))
    assert.ok(!full('[[:alpha:]]', '1'))
    assert.ok(full('[[:^digit:]]+', 'ab'))
    assert.ok(!full('[[:^digit:]]', '5'))
    assert.ok(full('[[:xdigit:][:space:]]+', 'fF 0'))
    assert.ok(full('[[:punct:]]+', '!/@`~'))
  })

  it('follows PCRE class syntax', () => {
    assert.ok(full('[]a]+', ']a'), '] first is literal')
    assert.ok(full('[^]a]', 'b'))
    assert.ok(full('[a-]+', 'a-'))
    assert.ok(full('[-a]+', '-a'))
    assert.ok(full('[a[b]+', '[ab'), '[ inside a class is literal')
    assert.ok(full('[\\d\\s]+', '1 2'))
    assert.ok(full('[\\b]', '\b'))
    assert.ok(full('[\\h]', '\u3000'))
  })

  it('reports PCRE2 compile errors', () => {
    assert.equal(syntaxError('/users/(foo/profile'), 'missing closing parenthesis')
    assert.equal(syntaxError('a)'), 'unmatched closing parenthesis')
    assert.equal(syntaxError('/[abc/*/user$'), 'missing terminating ] for character class')
    assert.equal(syntaxError('a\\'), '\\ at end of pattern')
    assert.equal(syntaxError('\\q'), 'unrecognized character follows \\')
    assert.equal(syntaxError('\\u0041'), 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u')
    assert.equal(syntaxError('*a'), 'quantifier does not follow a repeatable item')
    assert.equal(syntaxError('a**'), 'quantifier does not follow a repeatable item')
    assert.equal(syntaxError('^*'), 'quantifier does not follow a repeatable item')
    assert.equal(syntaxError('a{2,1}'), 'numbers out of order in {} quantifier')
    assert.equal(syntaxError('a{70000}'), 'number too big in {} quantifier')
    assert.equal(syntaxError('[z-a]'), 'range out of order in character class')
    assert.equal(syntaxError('[\\d-z]'), 'invalid range in character class')
    assert.equal(syntaxError('[\\B]'), 'escape sequence is invalid in character class')
    assert.equal(syntaxError('[[:foo:]]'), 'unknown POSIX class name')
    assert.equal(syntaxError('[:alpha:]'), 'POSIX named classes are supported only within a class')
    assert.equal(syntaxError('[[.a.]]'), 'POSIX collating elements are not supported')
    assert.equal(syntaxError('(?#open'), 'missing ) after (?# comment')
    assert.equal(syntaxError('(?<1a>x)'), 'subpattern name must start with a non-digit')
    assert.equal(syntaxError('(?<>x)'), 'subpattern name expected')
    assert.equal(syntaxError('(?<a-b>x)'), 'syntax error in subpattern name (missing terminator?)')
    assert.equal(
      syntaxError(`(?<${'a'.repeat(33)}>x)`),
      'subpattern name is too long (maximum 32 code units)',
    )
    assert.equal(syntaxError('\\p{Nope}'), 'unknown property name after \\P or \\p')
    assert.equal(syntaxError('\\p{L'), 'malformed \\P or \\p sequence')
    assert.equal(syntaxError('\\x{110000}'), 'character code point value in \\x{} or \\o{} is too large')
    assert.equal(syntaxError('\\o7'), 'missing opening brace after \\o')
    assert.equal(syntaxError('\\k'), '\\k is not followed by a braced, angle-bracketed, or quoted name')
    assert.equal(syntaxError('(?Px)'), 'unrecognized character after (?P')
  })

  it('drops comments', () => {
    assert.ok(full('a(?#note)b', 'ab'))
  })
})

describe('translatePcre: lookaround', () => {
  it('passes lookarounds through and allows quantifying them', () => {
    assert.ok(compile('foo(?=bar)').test('foobar'))
    assert.ok(!compile('foo(?!bar)').test('foobar'))
    assert.ok(compile('(?<=a)b').test('ab'))
    assert.ok(compile('(?<!a)b').test('cb'))
    assert.ok(full('(?=a)*a', 'a'))
  })
})

describe('translatePcre: features JavaScript cannot run', () => {
  it('reports them as unsupported', () => {
    assert.equal(unsupported('a++'), 'possessive quantifiers')
    unsupported('a*+')
    unsupported('a{2}+')
    assert.equal(unsupported('(?>a)'), 'atomic groups')
    assert.equal(unsupported('(?(1)a|b)'), 'conditional groups')
    for (const p of ['(?R)', '(?1)', '(?-1)', '(?+1)', '(?&n)', '(?P>n)', '\\g<1>', "\\g'n'"]) unsupported(p)
    assert.equal(unsupported('a\\Kb'), '\\K')
    unsupported('\\Ga')
    unsupported('\\X')
    unsupported('\\C')
    unsupported('(*FAIL)')
    unsupported('(*atomic:a)')
    unsupported('(?|(a)|(b))')
    unsupported('(?C1)a')
    unsupported('(?<n>a)(?<n>b)')
    unsupported('\\p{Xan}')
  })
})
