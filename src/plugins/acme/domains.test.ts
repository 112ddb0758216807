import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { domainMatcher } from './domains.js'

describe('acme domainMatcher', () => {
  it('matches exact hosts case-insensitively and wildcard labels', () => {
    const m = domainMatcher({ domains: ['Example.com', '*.wild.test', 'api.*'], allow_any_domain: false })
    assert.equal(m('example.com'), true)
    assert.equal(m('EXAMPLE.COM'), true)
    assert.equal(m('www.example.com'), false)
    assert.equal(m('a.wild.test'), true)
    assert.equal(m('wild.test'), false)
    assert.equal(m('api.org'), true)
    assert.equal(m('apiXorg'), false)
  })
  it('allows nothing without domains, everything with allow_any_domain', () => {
    assert.equal(domainMatcher({ domains: null, allow_any_domain: false })('a.test'), false)
    assert.equal(domainMatcher({ domains: ['x.test'], allow_any_domain: true })('a.test'), true)
  })
  it('refuses IPv4 addresses when enable_ipv4_common_name is false', () => {
    assert.equal(domainMatcher({ domains: null, allow_any_domain: true })('10.0.0.1'), true)
    const m = domainMatcher({ domains: null, allow_any_domain: true, enable_ipv4_common_name: false })
    assert.equal(m('10.0.0.1'), false)
    assert.equal(m('a.test'), true)
  })
})
