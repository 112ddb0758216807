import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signV4, uriEncode } from './aws.js'

describe('ai-proxy: AWS Signature Version 4', () => {
  it("signs AWS's get-vanilla example", () => {
    const h = signV4(
      {
        method: 'GET',
        host: 'example.amazonaws.com',
        path: '/',
        query: {},
        headers: {},
        body: '',
        region: 'us-east-1',
        service: 'service',
        date: new Date('2015-08-30T12:36:00Z'),
      },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    )
    assert.equal(h['X-Amz-Date'], '20150830T123600Z')
    assert.equal(
      h.Authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    )
  })

  it('encodes like RFC 3986', () => {
    assert.equal(uriEncode("a b!'()*:~"), 'a%20b%21%27%28%29%2A%3A~')
  })
})
