import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { parseDeclarativeText } from './parse.js'

function parsed(text: string, filename?: string): Record<string, unknown> {
  const r = parseDeclarativeText(text, { filename })
  if (!r.ok) throw new Error(r.error.message)
  return r.value.config
}

function failure(text: string, filename?: string): { message: string; fields: unknown } {
  const r = parseDeclarativeText(text, { filename })
  assert.equal(r.ok, false)
  if (r.ok) throw new Error('unreachable')
  assert.equal(r.error.kind, 'parse')
  return { message: r.error.message, fields: r.error.fields }
}

describe('parseDeclarativeText', () => {
  it('reads YAML and JSON, and gives the MD5 of the text as hash', () => {
    const yaml = '_format_version: "3.0"\nservices:\n- name: a\n  host: a.test\n'
    const r = parseDeclarativeText(yaml, { filename: 'kong.yml' })
    assert.ok(r.ok)
    assert.deepEqual(r.value.config, { _format_version: '3.0', services: [{ name: 'a', host: 'a.test' }] })
    assert.equal(r.value.hash, createHash('md5').update(yaml).digest('hex'))
    assert.deepEqual(parsed('{"_format_version": "3.0", "services": []}', 'kong.json'), {
      _format_version: '3.0',
      services: [],
    })
  })

  it('chooses the format by file name: json only, yml/yaml only, others refused', () => {
    // YAML is not JSON: a .json file must be JSON.
    assert.match(
      failure('_format_version: "3.0"\n', 'kong.json').message,
      /^failed parsing declarative configuration: /,
    )
    assert.deepEqual(parsed('_format_version: "3.0"\n', 'kong.yaml'), { _format_version: '3.0' })
    // JSON is YAML, so a .yml file may hold JSON.
    assert.deepEqual(parsed('{"_format_version": "3.0"}', 'conf.yml'), { _format_version: '3.0' })
    const unknown = failure('{}', '/etc/kong/kong.conf')
    assert.equal(unknown.message, 'unknown file type: /etc/kong/kong.conf. (Accepted types: json, yaml)')
    assert.deepEqual(unknown.fields, { error: unknown.message })
  })

  it('tries JSON, then YAML, without a file name', () => {
    assert.deepEqual(parsed('{"_format_version":"3.0"}'), { _format_version: '3.0' })
    assert.deepEqual(parsed('_format_version: "3.0"'), { _format_version: '3.0' })
  })

  it('requires an object at the root', () => {
    for (const text of ['', '- a\n- b\n', 'just text', '42', '[]', 'null']) {
      assert.equal(
        failure(text).message,
        'failed parsing declarative configuration: expected an object',
        text,
      )
    }
    assert.equal(
      failure('[1, 2]', 'kong.json').message,
      'failed parsing declarative configuration: expected an object',
    )
  })

  it('reports the parser error of unreadable text', () => {
    const yaml = failure('services: [1, 2\n')
    assert.match(yaml.message, /^failed parsing declarative configuration: .+/)
    assert.deepEqual(yaml.fields, { error: yaml.message })
    assert.match(failure('{"a": ', 'x.json').message, /^failed parsing declarative configuration: .*JSON/)
  })

  it('reads YAML like libyaml (YAML 1.1 booleans, nulls, last duplicate key)', () => {
    const doc = parsed(
      'a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: ~\nh: null\ni:\nj: "yes"\nk: true\nk2: 1\nk2: 2\n',
      'k.yml',
    )
    assert.deepEqual(doc, {
      a: true,
      b: false,
      c: true,
      d: false,
      e: 'y',
      f: 'n',
      g: null,
      h: null,
      i: null,
      j: 'yes',
      k: true,
      k2: 2,
    })
  })

  it('expands anchors and aliases into independent objects, merge keys included', () => {
    const doc = parsed(
      [
        '_format_version: "3.0"',
        'services:',
        '- &svc',
        '  host: a.test',
        '  tags: [x]',
        '- <<: *svc',
        '  name: second',
        '- *svc',
      ].join('\n'),
    )
    const services = doc.services as Record<string, unknown>[]
    assert.deepEqual(services[1], { host: 'a.test', tags: ['x'], name: 'second' })
    assert.deepEqual(services[2], services[0])
    assert.notEqual(services[2], services[0])
    assert.notEqual(services[2].tags, services[0].tags)
  })

  it('refuses recursive aliases', () => {
    assert.equal(failure('a: &a [*a]\n').message, 'failed parsing declarative configuration: recursive alias')
  })

  it('reads only the first YAML document', () => {
    assert.deepEqual(parsed('a: 1\n---\nb: 2\n', 'k.yml'), { a: 1 })
  })
})
