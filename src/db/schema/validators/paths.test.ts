import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  compileRouteRegex,
  normalizePath,
  validatePath,
  validateRoutePath,
  validateRoutePathForRouter,
} from './paths.js'

const BAD_ESCAPES: Array<[string, string]> = [
  ['/some%2words', '%2w'],
  ['/some%0Xwords', '%0X'],
  ['/some%2Gwords', '%2G'],
  ['/some%20words%', '%'],
  ['/some%20words%a', '%a'],
  ['/some%20words%ax', '%ax'],
]

describe('validatePath (path typedef; Kong 05-services_spec)', () => {
  it('accepts RFC 3986 paths', () => {
    for (const p of [
      '/',
      '/ovo/',
      '/abcd~user~2',
      "/hello/path$with$!&'()*+,;=stuff",
      '/abcd%aa%10%ff%AA%FF',
      '/a:b@c',
    ]) {
      assert.equal(validatePath(p), undefined, p)
    }
  })

  it('requires a leading slash', () => {
    assert.equal(validatePath('foo'), 'should start with: /')
  })

  it('rejects empty segments', () => {
    for (const p of ['/foo//bar', '/foo/bar//', '//foo/bar'])
      assert.equal(validatePath(p), 'must not have empty segments')
  })

  it('rejects characters outside RFC 3986', () => {
    for (const p of ['/users/|foo/profile', '/users/(this|foo/profile)', '/a b', '/a?b', '/a#b', '/é']) {
      assert.equal(
        validatePath(p),
        `invalid path: '${p}' (characters outside of the reserved list of RFC 3986 found)`,
        p,
      )
    }
  })

  it('rejects bad percent-escapes, reporting the fragment', () => {
    for (const [p, frag] of BAD_ESCAPES)
      assert.equal(validatePath(p), `invalid url-encoded value: '${frag}'`, p)
    assert.equal(validatePath('/a%%41'), "invalid url-encoded value: '%__'")
  })
})

describe('validateRoutePath (Kong 06-routes_spec)', () => {
  it('accepts prefix paths and regex paths', () => {
    for (const p of [
      '/',
      '/abcd~user~2',
      '/ovo/',
      '/foo bar',
      '/é',
      '/a%2Fb',
      '~/\\/*/user$',
      '~/users/(?<id>\\d+)$',
      '~/(?i)users',
    ]) {
      assert.equal(validateRoutePath(p), undefined, p)
    }
  })

  it('requires / or ~/', () => {
    for (const p of ['foo', '~foo', 'users/']) {
      assert.equal(validateRoutePath(p), 'should start with: / (fixed path) or ~/ (regex path)', p)
    }
  })

  it('rejects empty segments (checked first)', () => {
    for (const p of ['/foo//bar', '/foo/bar//', '//foo/bar', '~/a//b', 'x//y']) {
      assert.equal(validateRoutePath(p), 'must not have empty segments', p)
    }
  })

  it('rejects bad escapes in RFC 3986 prefix paths only', () => {
    for (const [p, frag] of BAD_ESCAPES)
      assert.equal(validateRoutePath(p), `invalid url-encoded value: '${frag}'`, p)
    // With characters outside RFC 3986, Kong skips the escape check.
    assert.equal(validateRoutePath('/a b%'), undefined)
    assert.equal(validateRoutePath('~/a%zz'), undefined)
  })

  it('requires prefix paths to be normalized', () => {
    const cases: Array<[string, string]> = [
      ['/foo/../bar', '/bar'],
      ['/foo/./bar', '/foo/bar'],
      ['/foo/.', '/foo/'],
      ['/%41', '/A'],
      ['/a%2fb', '/a%2Fb'],
      ['/endel%C3%B8st', '/endeløst'],
    ]
    for (const [p, n] of cases) {
      assert.equal(validateRoutePath(p), `non-normalized path, consider use '${n}' instead`, p)
    }
  })

  it('dry-runs regexes', () => {
    assert.equal(
      validateRoutePath('~/users/(foo/profile'),
      `invalid regex: '/users/(foo/profile' (PCRE returned: pcre2_compile() failed: missing closing parenthesis in "/users/(foo/profile")`,
    )
    assert.match(
      validateRoutePath('~/[abc/*/user$') ?? '',
      /^invalid regex: '\/\[abc\/\*\/user\$' \(PCRE returned: /,
    )
  })

  it('leaves regexes JavaScript cannot run to the entity check', () => {
    assert.equal(validateRoutePath('~/a++'), undefined)
    assert.equal(
      validateRoutePathForRouter('~/a++'),
      "Router Expression failed validation: unsupported regex feature in '/a++': possessive quantifiers",
    )
    assert.match(
      validateRoutePathForRouter('~/(?>a)b') ?? '',
      /^Router Expression failed validation: .*atomic groups/,
    )
    assert.match(validateRoutePathForRouter('~/a\\Kb') ?? '', /^Router Expression failed validation: /)
    assert.equal(validateRoutePathForRouter('~/ok'), undefined)
    assert.equal(validateRoutePathForRouter('/a++'), undefined, 'prefix paths are not regexes')
    assert.equal(validateRoutePathForRouter('~/(broken'), undefined, 'a field error, not an entity error')
  })
})

describe('compileRouteRegex', () => {
  it('anchors at the start only, like Kong\'s "^" .. regex', () => {
    const r = compileRouteRegex('/users/\\d+')
    assert.ok(!('error' in r))
    assert.ok(r.regex.test('/users/42'))
    assert.ok(r.regex.test('/users/42/extra'), 'unanchored at the end')
    assert.ok(!r.regex.test('/api/users/42'), 'anchored at the start')
    assert.deepEqual(r.names, [])
  })

  it('exposes named captures', () => {
    const r = compileRouteRegex('/(?P<version>v\\d+)/(?<resource>[a-z]+)')
    assert.ok(!('error' in r))
    assert.deepEqual(r.names, ['version', 'resource'])
    const m = r.regex.exec('/v1/users/7')
    assert.deepEqual({ ...m?.groups }, { version: 'v1', resource: 'users' })
  })

  it('supports inline case-insensitivity and PCRE anchors', () => {
    const r = compileRouteRegex('/(?i)users\\z')
    assert.ok(!('error' in r))
    assert.ok(r.regex.test('/USERS'))
    assert.ok(!r.regex.test('/USERS/1'))
  })

  it('reproduces the top-level alternation quirk of the textual ^', () => {
    const r = compileRouteRegex('/a|/b')
    assert.ok(!('error' in r))
    assert.ok(r.regex.test('/x/b'))
    assert.ok(!r.regex.test('/x/a'))
  })

  it('distinguishes field errors from entity errors', () => {
    assert.deepEqual(compileRouteRegex('/(x'), {
      error: `invalid regex: '/(x' (PCRE returned: pcre2_compile() failed: missing closing parenthesis in "/(x")`,
      entity: false,
    })
    assert.deepEqual(compileRouteRegex('/(?(1)a|b)'), {
      error:
        "Router Expression failed validation: unsupported regex feature in '/(?(1)a|b)': conditional groups",
      entity: true,
    })
  })
})

describe('normalizePath (re-exported)', () => {
  it('is the route normalization', () => {
    assert.equal(normalizePath('/a//b/./c/../%64'), '/a/b/d')
  })
})
