import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkConfig } from './schema.js'

describe('request-termination config rules', () => {
  it('accepts each way of answering alone', () => {
    assert.equal(checkConfig({ message: 'Not found' }), undefined)
    assert.equal(checkConfig({ body: '<h1>x</h1>' }), undefined)
    assert.equal(checkConfig({ content_type: 'text/html', body: '<h1>x</h1>' }), undefined)
    assert.equal(checkConfig({ echo: true, message: 'x' }), undefined)
  })

  it("refuses Kong's combinations, first rule first", () => {
    assert.equal(checkConfig({ message: 'm', body: 'b' }), 'message cannot be used with content_type or body')
    assert.equal(
      checkConfig({ message: 'm', content_type: 't' }),
      'message cannot be used with content_type or body',
    )
    assert.equal(checkConfig({ content_type: 't' }), 'content_type requires a body')
    assert.equal(checkConfig({ echo: true, body: 'b' }), 'echo cannot be used with content_type and body')
    assert.equal(
      checkConfig({ echo: true, content_type: 't', body: 'b' }),
      'echo cannot be used with content_type and body',
    )
  })
})
