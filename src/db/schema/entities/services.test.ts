// The services schema (entities.md §2): fields, defaults, constraints, entity checks and the
// `url` shorthand.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errors } from '../../dao/errors.js'
import { processAutoFields } from '../auto-fields.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas, services } from './index.js'

coreSchemas({})

const UUID = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'

function prepare(input: Record<string, unknown>, context: 'insert' | 'update' = 'insert') {
  const res = processAutoFields(services, input, context)
  if ('errors' in res) return { errors: res.errors as FieldErrors }
  return { value: res.value }
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  const p = prepare(input)
  if (p.errors) return p.errors
  return validateRecord(services, p.value!, {}, true)
}

function message(input: Record<string, unknown>): string | undefined {
  const errs = check(input)
  return errs && errors.schemaViolation(errs).message
}

const valid = { host: 'example.com' }

describe('services: defaults', () => {
  it('produces every field with its default (admin-api.md §3 example)', () => {
    const p = prepare({ name: 'billing', host: 'billing.internal' })
    assert.ok(p.value)
    const { id, created_at, updated_at, ...rest } = p.value
    assert.match(String(id), /^[0-9a-f-]{36}$/)
    assert.equal(typeof created_at, 'number')
    assert.equal(created_at, updated_at)
    assert.ok(Number.isInteger(created_at))
    assert.deepEqual(rest, {
      name: 'billing',
      retries: 5,
      protocol: 'http',
      host: 'billing.internal',
      port: 80,
      path: null,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      tags: null,
      client_certificate: null,
      tls_verify: null,
      tls_verify_depth: null,
      ca_certificates: null,
      enabled: true,
    })
    assert.equal(validateRecord(services, p.value), undefined)
  })

  it('validates a complete service', () => {
    assert.equal(
      check({
        id: UUID,
        name: 'my_service',
        protocol: 'http',
        host: 'example.com',
        port: 80,
        path: '/foo',
        connect_timeout: 50,
        write_timeout: 100,
        read_timeout: 100,
      }),
      undefined,
    )
  })
})

describe('services: required fields', () => {
  it('missing host', () => {
    assert.deepEqual(check({}), { host: 'required field missing' })
    assert.equal(message({}), 'schema violation (host: required field missing)')
  })

  it('null protocol, port, enabled are required field missing', () => {
    assert.deepEqual(check({ ...valid, protocol: null, port: null, enabled: null }), {
      protocol: 'required field missing',
      port: 'required field missing',
      enabled: 'required field missing',
    })
  })

  it('null protocol on update is refused too', () => {
    const p = prepare({ protocol: null }, 'update')
    assert.deepEqual(validateRecord(services, p.value!, { updating: true }, false), {
      protocol: 'required field missing',
    })
  })
})

describe('services: field constraints', () => {
  it('protocol must be one of the protocol list', () => {
    assert.deepEqual(check({ ...valid, protocol: 'ftp' }), {
      protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
    })
  })

  it('accepts every protocol of the list', () => {
    for (const protocol of ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp']) {
      assert.equal(check({ ...valid, protocol }), undefined, protocol)
    }
  })

  it('retries: 0–32767 integer', () => {
    assert.deepEqual(check({ ...valid, retries: -1 }), { retries: 'value should be between 0 and 32767' })
    assert.deepEqual(check({ ...valid, retries: 32768 }), { retries: 'value should be between 0 and 32767' })
    assert.deepEqual(check({ ...valid, retries: 1.5 }), { retries: 'expected an integer' })
    assert.equal(check({ ...valid, retries: 0 }), undefined)
    assert.equal(check({ ...valid, retries: 32767 }), undefined)
  })

  it('port: 0–65535, JSON strings are not coerced', () => {
    assert.deepEqual(check({ ...valid, port: 65536 }), { port: 'value should be between 0 and 65535' })
    assert.deepEqual(check({ ...valid, port: -1 }), { port: 'value should be between 0 and 65535' })
    assert.deepEqual(check({ ...valid, port: '80' }), { port: 'expected an integer' })
    assert.equal(check({ ...valid, port: 0 }), undefined)
    assert.equal(check({ ...valid, port: 65535 }), undefined)
  })

  it('timeouts: 1–2147483646', () => {
    const msg = 'value should be between 1 and 2147483646'
    assert.deepEqual(check({ ...valid, connect_timeout: 0, read_timeout: 0, write_timeout: 0 }), {
      connect_timeout: msg,
      read_timeout: msg,
      write_timeout: msg,
    })
    assert.deepEqual(check({ ...valid, read_timeout: 2147483647 }), { read_timeout: msg })
    assert.equal(
      check({ ...valid, connect_timeout: 1, read_timeout: 10, write_timeout: 2147483646 }),
      undefined,
    )
    assert.deepEqual(check({ ...valid, connect_timeout: '1000' }), { connect_timeout: 'expected an integer' })
  })

  it('tls_verify_depth: 0–64', () => {
    assert.deepEqual(check({ ...valid, protocol: 'https', tls_verify_depth: 65 }), {
      tls_verify_depth: 'value should be between 0 and 64',
    })
    assert.equal(check({ ...valid, protocol: 'https', tls_verify_depth: 0 }), undefined)
  })

  it('tls_verify must be a boolean', () => {
    assert.deepEqual(check({ ...valid, protocol: 'https', tls_verify: 'yes' }), {
      tls_verify: 'expected a boolean',
    })
  })

  it('ca_certificates: array of UUIDs, errors by position', () => {
    assert.deepEqual(check({ ...valid, protocol: 'https', ca_certificates: [UUID, 'nope'] }), {
      ca_certificates: [null, 'expected a valid UUID'],
    })
    assert.equal(
      message({ ...valid, protocol: 'https', ca_certificates: [UUID, 'nope'] }),
      'schema violation (ca_certificates.2: expected a valid UUID)',
    )
  })

  it('client_certificate: foreign key shape', () => {
    assert.deepEqual(check({ ...valid, protocol: 'https', client_certificate: { id: 'x' } }), {
      client_certificate: { id: 'expected a valid UUID' },
    })
    assert.deepEqual(check({ ...valid, protocol: 'https', client_certificate: {} }), {
      client_certificate: { id: 'missing primary key' },
    })
    assert.equal(
      message({ ...valid, protocol: 'https', client_certificate: {} }),
      'schema violation (client_certificate.id: missing primary key)',
    )
  })

  it('enabled must be a boolean', () => {
    assert.deepEqual(check({ ...valid, enabled: 'true' }), { enabled: 'expected a boolean' })
  })

  it('rejects unknown fields', () => {
    assert.deepEqual(check({ ...valid, foo: 'bar' }), { foo: 'unknown field' })
  })

  it('rejects an invalid id', () => {
    assert.deepEqual(check({ ...valid, id: 'not-a-uuid' }), { id: 'expected a valid UUID' })
  })

  it('tags: each tag validated, duplicates removed', () => {
    const p = prepare({ ...valid, tags: ['a', 'b', 'a'] })
    assert.deepEqual(p.value?.tags, ['a', 'b'])
    assert.deepEqual(check({ ...valid, tags: ['ok', 'a,b'] }), {
      tags: [
        null,
        "invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
      ],
    })
    assert.deepEqual(check({ ...valid, tags: ['a/b'] }), {
      tags: ["invalid tag 'a/b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"],
    })
    assert.deepEqual(check({ ...valid, tags: [''] }), { tags: ['length must be at least 1'] })
    assert.equal(check({ ...valid, tags: ['with space', 'ünïcode', '!~'] }), undefined)
  })
})

describe('services: path', () => {
  it('must be a non-empty string starting with /', () => {
    assert.deepEqual(check({ ...valid, path: false }), { path: 'expected a string' })
    assert.deepEqual(check({ ...valid, path: '' }), { path: 'length must be at least 1' })
    assert.deepEqual(check({ ...valid, path: 'foo' }), { path: 'should start with: /' })
  })

  it('must not have empty segments', () => {
    for (const path of ['/foo//bar', '/foo/bar//', '//foo/bar']) {
      assert.deepEqual(check({ ...valid, path }), { path: 'must not have empty segments' }, path)
    }
  })

  it('rejects characters outside RFC 3986', () => {
    for (const path of ['/users/|foo/profile', '/users/(this|foo/profile)']) {
      assert.deepEqual(check({ ...valid, path }), {
        path: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`,
      })
    }
  })

  it('rejects badly percent-encoded values', () => {
    const cases: [string, string][] = [
      ['/some%2words', '%2w'],
      ['/some%0Xwords', '%0X'],
      ['/some%2Gwords', '%2G'],
      ['/some%20words%', '%'],
      ['/some%20words%a', '%a'],
      ['/some%20words%ax', '%ax'],
    ]
    for (const [path, frag] of cases) {
      assert.deepEqual(check({ ...valid, path }), { path: `invalid url-encoded value: '${frag}'` }, path)
    }
  })

  it('accepts sub-delims, unreserved chars, escapes, apex and trailing slash', () => {
    for (const path of [
      "/hello/path$with$!&'()*+,;=stuff",
      '/abcd~user~2',
      '/abcd%aa%10%ff%AA%FF',
      '/',
      '/ovo/',
    ]) {
      assert.equal(check({ ...valid, path }), undefined, path)
    }
  })
})

describe('services: host', () => {
  it('must be a non-empty string', () => {
    assert.deepEqual(check({ host: false }), { host: 'expected a string' })
    assert.deepEqual(check({ host: '' }), { host: 'length must be at least 1' })
  })

  it('rejects invalid hostnames', () => {
    for (const host of [
      '/example',
      '.example',
      'example:',
      'mock;bin',
      'example.com/org',
      'example-.org',
      'example.org-',
      'hello..example.com',
      'hello-.example.com',
      '*example.com',
      'www.example*',
      'mock*bin.com',
    ]) {
      assert.deepEqual(check({ host }), { host: `invalid value: ${host}` }, host)
    }
  })

  it('rejects ports, valid or not', () => {
    assert.deepEqual(check({ host: 'example.com:80' }), { host: 'must not have a port' })
    assert.deepEqual(check({ host: 'example.com:1000000' }), { host: 'must not have a port' })
  })

  it('accepts names, IPv4, IPv6 and FQDNs', () => {
    for (const host of [
      'hello.com',
      'test.hello.com',
      '1991.io',
      'HELLO.com',
      'example.123',
      'example_api.com',
      'localhost',
      'example.test.',
      'd9juau41awczczp',
      '-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n',
      '127.0.0.1',
      '::1',
      '[::1]',
    ]) {
      assert.equal(check({ host }), undefined, host)
    }
  })
})

describe('services: name', () => {
  it('must be a non-empty string', () => {
    assert.deepEqual(check({ ...valid, name: false }), { name: 'expected a string' })
    assert.deepEqual(check({ ...valid, name: '' }), { name: 'length must be at least 1' })
  })

  it('rejects names with other ascii characters', () => {
    for (const name of ['examp:le', 'examp;le', 'examp/le', 'examp le']) {
      assert.deepEqual(check({ ...valid, name }), {
        name: `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
      })
    }
  })

  it('accepts valid names', () => {
    for (const name of [
      'example',
      'EXAMPLE',
      'exa.mp.le',
      '3x4-mp-13',
      '3x4_mp_13',
      '~3..x4~.M-p~1__3_',
      '孔',
      'Конг',
      '🦍',
    ]) {
      assert.equal(check({ ...valid, name }), undefined, name)
    }
  })
})

describe('services: entity checks', () => {
  const conditional = "failed conditional validation given value of field 'protocol'"

  it('tcp/tls/udp/grpc/grpcs services cannot have a path', () => {
    for (const protocol of ['tcp', 'tls', 'udp', 'grpc', 'grpcs']) {
      assert.deepEqual(
        check({ ...valid, protocol, path: '/' }),
        { path: 'value must be null', '@entity': [conditional] },
        protocol,
      )
    }
  })

  it('http/https services can have a path', () => {
    assert.equal(check({ ...valid, protocol: 'https', path: '/' }), undefined)
  })

  it('client_certificate, tls_verify, tls_verify_depth, ca_certificates only with https/tls', () => {
    const tlsOnly = {
      client_certificate: { id: UUID },
      tls_verify: true,
      tls_verify_depth: 1,
      ca_certificates: [UUID],
    }
    for (const [field, value] of Object.entries(tlsOnly)) {
      for (const protocol of ['http', 'grpc', 'grpcs', 'tcp', 'udp', 'tls_passthrough']) {
        assert.deepEqual(
          check({ ...valid, protocol, [field]: value }),
          { [field]: 'value must be null', '@entity': [conditional] },
          `${field} ${protocol}`,
        )
      }
      for (const protocol of ['https', 'tls']) {
        assert.equal(check({ ...valid, protocol, [field]: value }), undefined, `${field} ${protocol}`)
      }
    }
  })

  it('reports each failing conditional field and one entity message per check', () => {
    const errs = check({ ...valid, protocol: 'http', tls_verify: false, tls_verify_depth: 2 })
    assert.deepEqual(errs, {
      tls_verify: 'value must be null',
      tls_verify_depth: 'value must be null',
      '@entity': [conditional, conditional],
    })
    assert.equal(
      errors.schemaViolation(errs!).message,
      `4 schema violations (${conditional}; ${conditional}; tls_verify: value must be null; tls_verify_depth: value must be null)`,
    )
  })

  it('tls_verify false is still "set" for http', () => {
    assert.deepEqual(check({ ...valid, tls_verify: false }), {
      tls_verify: 'value must be null',
      '@entity': [conditional],
    })
  })
})

describe('services: url shorthand', () => {
  function expand(input: Record<string, unknown>) {
    const p = prepare(input)
    assert.ok(p.value, JSON.stringify(p.errors))
    const { protocol, host, port, path } = p.value
    return { protocol, host, port, path, url: p.value.url }
  }

  it('follows the spec examples', () => {
    assert.deepEqual(expand({ url: 'http://example.test:443' }), {
      protocol: 'http',
      host: 'example.test',
      port: 443,
      path: null,
      url: undefined,
    })
    assert.deepEqual(expand({ url: 'https://example2.test:80/' }), {
      protocol: 'https',
      host: 'example2.test',
      port: 80,
      path: '/',
      url: undefined,
    })
  })

  it('default ports: 80 for http, 443 for https, else 80', () => {
    assert.equal(expand({ url: 'http://a.test' }).port, 80)
    assert.equal(expand({ url: 'https://a.test' }).port, 443)
    assert.equal(expand({ url: 'grpcs://a.test' }).port, 80)
    assert.equal(expand({ url: 'tls://a.test' }).port, 80)
  })

  it('path is null without path and / with a bare slash', () => {
    assert.equal(expand({ url: 'http://a.b' }).path, null)
    assert.equal(expand({ url: 'http://a.b/' }).path, '/')
    assert.equal(expand({ url: 'https://svc.test/x/y' }).path, '/x/y')
  })

  it('overrides explicit protocol/host/port/path in the same payload', () => {
    assert.deepEqual(
      expand({ url: 'https://svc.test/', protocol: 'grpc', host: 'other.test', port: 9, path: '/p' }),
      { protocol: 'https', host: 'svc.test', port: 443, path: '/', url: undefined },
    )
  })

  it('clears path on update when the url has none', () => {
    const p = prepare({ url: 'http://a.test' }, 'update')
    assert.ok(p.value)
    assert.equal(p.value.path, null)
    assert.equal(Object.hasOwn(p.value, 'url'), false)
  })

  it('a url without host gives host: required field missing', () => {
    assert.deepEqual(check({ url: 'http:///path' }), { host: 'required field missing' })
  })

  it('a url with a non-numeric port fails the port check', () => {
    assert.deepEqual(check({ url: 'http://h.test:x' }), { port: 'expected an integer' })
  })

  it('the url must be a string', () => {
    assert.deepEqual(check({ url: 5 }), { url: 'expected a string' })
  })

  it('a valid url yields a valid service', () => {
    assert.equal(check({ url: 'https://svc.test/' }), undefined)
  })
})
