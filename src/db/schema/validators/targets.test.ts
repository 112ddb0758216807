import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizeTarget, validateTarget } from './targets.js'

describe('validateTarget', () => {
  it('accepts hostnames and IPs with optional ports (Kong 08-targets_spec)', () => {
    for (const t of ['valid.name', 'valid.name:8080', '12.34.56.78', '1.2.3.4:123', '::1', '[::1]:80']) {
      assert.equal(validateTarget(t), undefined, t)
    }
  })

  it('rejects the rest', () => {
    const bad = '\\\\bad\\\\////name////'
    assert.equal(validateTarget(bad), `Invalid target ('${bad}'); not a valid hostname or ip address`)
    assert.equal(
      validateTarget('a.test:70000'),
      "Invalid target ('a.test:70000'); not a valid hostname or ip address",
    )
    assert.equal(validateTarget('x\ud800'), 'Invalid target; not a valid hostname or ip address')
  })
})

describe('normalizeTarget', () => {
  it('normalizes and appends the default port 8000', () => {
    assert.deepEqual(normalizeTarget('konghq.test'), { target: 'konghq.test:8000' })
    assert.deepEqual(normalizeTarget('KongHQ.test:80'), { target: 'KongHQ.test:80' })
    assert.deepEqual(normalizeTarget('001.002.003.004'), { target: '1.2.3.4:8000' })
    assert.deepEqual(normalizeTarget('1.2.3.4:0'), { target: '1.2.3.4:0' })
    assert.deepEqual(normalizeTarget('::1'), { target: '[0000:0000:0000:0000:0000:0000:0000:0001]:8000' })
    assert.deepEqual(normalizeTarget('[2001:DB8::1]:443'), {
      target: '[2001:0db8:0000:0000:0000:0000:0000:0001]:443',
    })
  })

  it('returns the schema error for invalid targets', () => {
    assert.deepEqual(normalizeTarget('a b'), {
      error: "Invalid target ('a b'); not a valid hostname or ip address",
    })
  })
})
