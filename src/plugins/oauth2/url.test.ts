// URL handling with LuaSocket's and Kong's behaviour: what counts as a redirect URI, escaping,
// and adding parameters to a redirect URI's query string or fragment.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type ArgValue,
  buildUrl,
  decodeArgs,
  encodeArgs,
  parseUrl,
  redirectUriError,
  urlEscape,
} from './url.js'

describe('oauth2 URLs', () => {
  it('parses URLs into LuaSocket parts and builds them back', () => {
    assert.deepEqual(parseUrl('https://user@app.test:8443/cb;p=1?a=1&b=2#frag'), {
      scheme: 'https',
      authority: 'user@app.test:8443',
      host: 'app.test',
      path: '/cb',
      params: 'p=1',
      query: 'a=1&b=2',
      fragment: 'frag',
    })
    assert.deepEqual(parseUrl('http://[::1]:80'), { scheme: 'http', authority: '[::1]:80', host: '::1' })
    assert.deepEqual(parseUrl('not-valid'), { path: 'not-valid' })
    for (const u of [
      'https://user@app.test:8443/cb;p=1?a=1&b=2#frag',
      'myapp://callback',
      'http://x.test/a?',
    ])
      assert.equal(buildUrl(parseUrl(u)), u)
  })

  it('accepts redirect URIs with a scheme and a host, without fragment', () => {
    assert.equal(redirectUriError('http://google.test/'), undefined)
    assert.equal(redirectUriError('com.example.app://callback'), undefined)
    assert.equal(redirectUriError('not-valid'), "cannot parse 'not-valid'")
    assert.equal(redirectUriError('urn:ietf:wg:oauth:2.0:oob'), "cannot parse 'urn:ietf:wg:oauth:2.0:oob'")
    assert.equal(redirectUriError('//host.test/x'), "cannot parse '//host.test/x'")
    assert.equal(
      redirectUriError('http://test.test/#with-fragment'),
      "fragment not allowed in 'http://test.test/#with-fragment'",
    )
    assert.equal(redirectUriError('http://test.test/#'), "fragment not allowed in 'http://test.test/#'")
  })

  it('escapes every byte but letters, digits and underscores, in lower-case hex', () => {
    assert.equal(
      urlEscape('Invalid redirect_uri, "x" é-.~'),
      'Invalid%20redirect_uri%2c%20%22x%22%20%c3%a9%2d%2e%7e',
    )
  })

  it("adds parameters the way Kong's encode_args does: sorted, bare names for empty values, lists indexed", () => {
    const args = decodeArgs('foo=bar&x=1&x=2&flag&sp=a+b%21')
    assert.deepEqual(
      [...args],
      [
        ['foo', 'bar'],
        ['x', ['1', '2']],
        ['flag', true],
        ['sp', 'a b!'],
      ],
    )
    args.set('code', 'abc')
    args.set('state', '')
    assert.equal(encodeArgs(args), 'code=abc&flag=true&foo=bar&sp=a%20b%21&state&x%5b1%5d=1&x%5b2%5d=2')
    assert.equal(
      encodeArgs(
        new Map<string, ArgValue>([
          ['expires_in', 7200],
          ['access_token', 't'],
        ]),
      ),
      'access_token=t&expires_in=7200',
    )
  })
})
