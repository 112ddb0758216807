import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { validateName, validateUtf8Name } from './names.js'

describe('validateUtf8Name', () => {
  it('accepts the names from Kong 05-services_spec', () => {
    for (const n of [
      'example',
      'EXAMPLE',
      'exa.mp.le',
      '3x4mp13',
      '3x4-mp-13',
      '3x4_mp_13',
      '~3x4~mp~13',
      '~3..x4~.M-p~1__3_',
      '孔',
      'Конг',
      '🦍',
    ]) {
      assert.equal(validateUtf8Name(n), undefined, n)
    }
  })

  it('rejects other ASCII characters', () => {
    for (const n of ['examp:le', 'examp;le', 'examp/le', 'examp le', 'a\tb', '']) {
      assert.equal(
        validateUtf8Name(n),
        `invalid value '${n}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
      )
    }
  })

  it('rejects strings that are not valid UTF-8', () => {
    assert.equal(validateUtf8Name('ab\ud800'), 'invalid utf-8 character sequence detected at position 3')
  })
})

describe('validateName', () => {
  it('is the ASCII-only variant', () => {
    assert.equal(validateName('a.b-c_d~e'), undefined)
    assert.equal(
      validateName('孔'),
      "invalid value '孔': it must only contain alphanumeric and '., -, _, ~' characters",
    )
  })
})
