import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { validateTag } from './tags.js'

const invalid = (t: string) =>
  `invalid tag '${t}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`

describe('validateTag', () => {
  it('accepts printable ASCII, spaces and non-ASCII', () => {
    for (const t of ['foo', 'with space', '!#$%&()*+-.:;<=>?@[\\]^_`{|}~', 'k=v', 'Конг', '🦍', ' ']) {
      assert.equal(validateTag(t), undefined, t)
    }
  })

  it('rejects commas, slashes and control characters', () => {
    for (const t of ['tag,with,commas', 'tag/with/slashes', 'tab\there', 'nl\n', 'del\x7f', '']) {
      assert.equal(validateTag(t), invalid(t), JSON.stringify(t))
    }
  })

  it('rejects invalid UTF-8 with its position', () => {
    assert.equal(
      validateTag('tag-with-invalid-utf8\udfff'),
      'invalid utf-8 character sequence detected at position 22',
    )
  })
})
