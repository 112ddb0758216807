import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeKongEnvValue, encodeKongEnvValue, parseConfText, splitList } from './parse.js'

const values = (text: string) => Object.fromEntries(parseConfText(text).entries.map((e) => [e.name, e.value]))

describe('kong.conf file syntax', () => {
  it('reads name = value pairs, trimming names and values', () => {
    assert.deepEqual(values('  log_level   =   debug  \nprefix=/tmp/kong\n'), {
      log_level: 'debug',
      prefix: '/tmp/kong',
    })
  })

  it('ignores blank lines and whole-line comments, including indented ones', () => {
    const parsed = parseConfText('\n# log_level = debug\n   #prefix = /x\n\nplugins = bundled\n')
    assert.deepEqual(
      parsed.entries.map((e) => [e.name, e.value, e.line]),
      [['plugins', 'bundled', 5]],
    )
    assert.deepEqual(parsed.invalid, [])
  })

  it('drops trailing comments and the blanks before them', () => {
    assert.deepEqual(values('log_level = info    # more details\nplugins = bundled,# none\n'), {
      log_level: 'info',
      plugins: 'bundled,',
    })
  })

  it('keeps an escaped \\# as a literal #', () => {
    assert.deepEqual(values('pg_password = pa\\#ss # the comment\n'), { pg_password: 'pa#ss' })
    assert.deepEqual(values('a = \\#start\n'), { a: '#start' })
  })

  it('takes everything after the first = as the value, quotes included', () => {
    assert.deepEqual(values('pg_password = "a=b"\nx = \'y\'\n'), { pg_password: '"a=b"', x: "'y'" })
  })

  it('reads an empty value (or only a comment) as an empty text', () => {
    assert.deepEqual(values('trusted_ips =\nheaders = # none\n'), { trusted_ips: '', headers: '' })
  })

  it('lets a later line win and accepts CRLF line endings', () => {
    assert.deepEqual(values('log_level = info\r\nlog_level = warn\r\n'), { log_level: 'warn' })
  })

  it('reports lines without a name or without =', () => {
    const parsed = parseConfText('just some words\n= value\nok = 1\n')
    assert.deepEqual(parsed.invalid, [
      { line: 1, text: 'just some words' },
      { line: 2, text: '= value' },
    ])
    assert.equal(parsed.entries.length, 1)
  })

  it('keeps backslashes literal in a user file', () => {
    assert.deepEqual(values('path = C:\\new\\table\n'), { path: 'C:\\new\\table' })
  })
})

describe('.kong_env escapes', () => {
  it('round-trips newlines, carriage returns, backslashes and #', () => {
    const samples = ['-----BEGIN X-----\nabc\r\n-----END X-----\n', 'a\\#b', 'C:\\new', 'x # y', '\\']
    for (const sample of samples) {
      const encoded = encodeKongEnvValue(sample)
      assert.ok(!encoded.includes('\n'), `no raw newline in ${JSON.stringify(encoded)}`)
      const parsed = parseConfText(`v = ${encoded} # comment\n`, 'kong_env').entries[0]
      assert.equal(parsed.value, sample)
      assert.equal(decodeKongEnvValue(encoded), sample)
    }
  })

  it('tells an escaped backslash before a comment from an escaped #', () => {
    assert.equal(decodeKongEnvValue('a\\\\# comment'), 'a\\')
    assert.equal(decodeKongEnvValue('a\\# not a comment'), 'a# not a comment')
  })
})

describe('splitList', () => {
  it('splits on commas, trims items and drops empty ones', () => {
    assert.deepEqual(splitList('a, b ,c,, ,d'), ['a', 'b', 'c', 'd'])
    assert.deepEqual(splitList(''), [])
    assert.deepEqual(splitList(' , '), [])
  })
})
