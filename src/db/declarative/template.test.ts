import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { formatDeclarativeError } from './errors.js'
import { caCertificate, certificatePair, flatten, flattenError, load, publicKeyPem } from './fixtures.test.js'
import { EMPTY_CONFIG_HASH } from './hash.js'
import { initTemplate } from './template.js'

/** The template with every example line (`# `) uncommented; explanations (`## `) stay comments. */
function uncommented(): Record<string, unknown> {
  const text = initTemplate()
    .split('\n')
    .map((l) => (l.startsWith('# ') ? l.slice(2) : l))
    .join('\n')
  return parse(text) as Record<string, unknown>
}

describe('initTemplate', () => {
  it('is a valid configuration without entities', () => {
    const text = initTemplate()
    const config = load(text, undefined, 'kong.yml')
    assert.deepEqual(config.entities, {})
    assert.deepEqual(config.meta, { _format_version: '3.0', _transform: true })
    assert.equal(config.hash, EMPTY_CONFIG_HASH)
    assert.match(text, /^_format_version: "3\.0"$/m)
    assert.match(text, /^_transform: true$/m)
    assert.match(text, /^_comment: /m)
    assert.match(text, /^_ignore:$/m)
  })

  it('has a commented example of every core entity kind', () => {
    const examples = uncommented()
    for (const kind of [
      'services',
      'routes',
      'consumers',
      'plugins',
      'upstreams',
      'certificates',
      'ca_certificates',
      'key_sets',
      'vaults',
    ]) {
      assert.ok(Array.isArray(examples[kind]), kind)
    }
    const nested = JSON.stringify(examples)
    for (const kind of ['"targets"', '"snis"', '"keys"']) assert.ok(nested.includes(kind), kind)
  })

  it('has examples that load once real certificates and keys replace the placeholders', () => {
    const examples = uncommented()
    // With the placeholders, only the PEM material is refused.
    const refused = flattenError(examples)
    assert.deepEqual(
      Object.keys(refused.fields).sort(),
      ['ca_certificates', 'certificates', 'key_sets'],
      formatDeclarativeError(refused),
    )

    const { cert, key } = certificatePair()
    const certificates = examples.certificates as Record<string, unknown>[]
    Object.assign(certificates[0], { cert, key })
    Object.assign((examples.ca_certificates as Record<string, unknown>[])[0], { cert: caCertificate() })
    const keySet = (examples.key_sets as { keys: { pem: Record<string, unknown> }[] }[])[0]
    keySet.keys[0].pem.public_key = publicKeyPem()
    const config = flatten(examples)
    assert.equal(config.entities.targets.length, 2)
    assert.equal(config.entities.plugins.length, 2)
    assert.equal(config.entities.snis[0].name, 'api.example.com')
  })
})
