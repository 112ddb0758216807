// The routes schema (entities.md §3) in the traditional_compatible flavor: defaults, protocol
// groups, per-protocol subschemas, hosts/paths/headers/methods/snis/sources/destinations rules and
// the exact error trees and messages.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errors } from '../../dao/errors.js'
import { processAutoFields } from '../auto-fields.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas, routes } from './index.js'

coreSchemas({})

const S = { id: 'a4fbd24e-6a52-4937-bd78-2536713072d2' }
const PROTOCOL_LIST = 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'

function prepare(input: Record<string, unknown>, context: 'insert' | 'update' = 'insert') {
  const res = processAutoFields(routes, input, context)
  assert.ok('value' in res)
  return res.value
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(routes, prepare(input), {}, true)
}

function message(input: Record<string, unknown>): string | undefined {
  const errs = check(input)
  return errs && errors.schemaViolation(errs).message
}

/** The `fields` of the error body as a client receives it (JSON). */
function wireFields(input: Record<string, unknown>): unknown {
  const errs = check(input)
  assert.ok(errs)
  return (JSON.parse(JSON.stringify(errors.schemaViolation(errs).toJSON())) as { fields: unknown }).fields
}

describe('routes: defaults', () => {
  it('produces every field with its default', () => {
    const r = prepare({ protocols: ['http'], service: S, paths: ['/foo'] })
    assert.equal(check({ protocols: ['http'], service: S, paths: ['/foo'] }), undefined)
    const { id, created_at, updated_at, ...rest } = r
    assert.match(String(id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.ok(Number.isInteger(created_at))
    assert.equal(created_at, updated_at)
    assert.deepEqual(rest, {
      name: null,
      protocols: ['http'],
      https_redirect_status_code: 426,
      strip_path: true,
      preserve_host: false,
      request_buffering: true,
      response_buffering: true,
      tags: null,
      service: S,
      snis: null,
      sources: null,
      destinations: null,
      methods: null,
      hosts: null,
      paths: ['/foo'],
      headers: null,
      regex_priority: 0,
      path_handling: 'v0',
    })
  })

  it('protocols default to http, https', () => {
    assert.deepEqual(prepare({ hosts: ['a.test'] }).protocols, ['http', 'https'])
  })

  it('strip_path defaults to false for grpc/grpcs routes', () => {
    assert.equal(prepare({ protocols: ['grpc'], paths: ['/x'] }).strip_path, false)
    assert.equal(prepare({ protocols: ['grpcs'], paths: ['/x'] }).strip_path, false)
    assert.equal(check({ protocols: ['grpc'], paths: ['/x'] }), undefined)
  })

  it('service may be null or missing', () => {
    assert.equal(check({ paths: ['/'], service: null }), undefined)
    assert.equal(check({ paths: ['/'] }), undefined)
  })
})

describe('routes: http/https matching requirement', () => {
  it('POST {} fails with the https message (admin-api.md §10 #4)', () => {
    assert.deepEqual(check({}), {
      '@entity': [
        "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
      ],
    })
    assert.equal(
      message({}),
      "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
    )
  })

  it('http only: at least one of methods, hosts, headers, paths', () => {
    assert.deepEqual(check({ protocols: ['http'], service: S }), {
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
    })
    assert.deepEqual(check({ protocols: ['http'], snis: ['a.test'] }), {
      snis: 'length must be 0',
      // Checks of the entity run before those of the subschema, as in Kong.
      '@entity': [
        "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
        "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'",
      ],
    })
  })

  it('each of them alone is enough', () => {
    for (const extra of [
      { methods: ['GET'] },
      { hosts: ['x.y'] },
      { paths: ['/foo'] },
      { headers: { location: ['location-1'] } },
    ]) {
      assert.equal(check({ protocols: ['http'], service: S, ...extra }), undefined, JSON.stringify(extra))
    }
    assert.equal(check({ protocols: ['https'], snis: ['a.test'] }), undefined)
  })

  it('empty arrays do not count', () => {
    assert.deepEqual(check({ protocols: ['http'], methods: [], paths: [] }), {
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
    })
  })

  it('https alone uses the https message', () => {
    assert.deepEqual(check({ protocols: ['https'] }), {
      '@entity': [
        "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
      ],
    })
  })

  it('sources and destinations cannot be set on http routes', () => {
    assert.deepEqual(check({ protocols: ['http'], paths: ['/'], sources: [{ ip: '1.2.3.4' }] }), {
      sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'",
    })
    assert.deepEqual(check({ protocols: ['https'], paths: ['/'], destinations: [{ port: 80 }] }), {
      destinations: "cannot set 'destinations' when 'protocols' is 'http' or 'https'",
    })
  })

  it('on update, the custom "must set" message is not prefixed', () => {
    const merged = prepare({ protocols: ['http'] })
    assert.deepEqual(validateRecord(routes, merged, { updating: true }, false), {
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
    })
  })
})

describe('routes: protocols', () => {
  it('required', () => {
    assert.deepEqual(check({ protocols: null, paths: ['/'] }), { protocols: 'required field missing' })
  })

  it('an unknown protocol is an unknown type', () => {
    assert.deepEqual(check({ protocols: ['ftp'], paths: ['/'] }), { protocols: 'unknown type: ftp' })
  })

  it('an empty set fails', () => {
    assert.ok(check({ protocols: [], paths: ['/'] })?.protocols)
  })

  it('an unknown protocol next to a known one is an element error', () => {
    assert.deepEqual(check({ protocols: ['http', 'foo'], paths: ['/'] }), {
      protocols: [null, PROTOCOL_LIST],
    })
    assert.equal(
      message({ protocols: ['http', 'foo'], paths: ['/'] }),
      `schema violation (protocols.2: ${PROTOCOL_LIST})`,
    )
  })

  it('the wire form of ["foo","http"] is ["expected one of: …"] (admin-api.md §10 #5)', () => {
    assert.deepEqual(wireFields({ protocols: ['foo', 'http'], paths: ['/'] }), { protocols: [PROTOCOL_LIST] })
  })

  it('duplicates are removed', () => {
    assert.deepEqual(prepare({ protocols: ['https', 'http', 'https'] }).protocols, ['https', 'http'])
  })

  it('groups are mutually exclusive, listing the groups used', () => {
    const cases: [string[], string][] = [
      [['http', 'tcp'], "('http', 'https'), ('tcp', 'tls', 'udp')"],
      [['http', 'tls'], "('http', 'https'), ('tcp', 'tls', 'udp')"],
      [['https', 'tcp'], "('http', 'https'), ('tcp', 'tls', 'udp')"],
      [['https', 'tls'], "('http', 'https'), ('tcp', 'tls', 'udp')"],
      [['tls', 'tls_passthrough'], "('tcp', 'tls', 'udp'), ('tls_passthrough')"],
      [['grpc', 'http'], "('grpc', 'grpcs'), ('http', 'https')"],
    ]
    for (const [protocols, groups] of cases) {
      const errs = check({ protocols, paths: ['/'], snis: ['a.test'], sources: [{ port: 1 }] })
      assert.equal(errs?.protocols, `these sets are mutually exclusive: ${groups}`, protocols.join(','))
    }
    assert.deepEqual(check({ protocols: ['tls', 'tls_passthrough'], snis: ['foo.grpc.test'], service: S }), {
      protocols: "these sets are mutually exclusive: ('tcp', 'tls', 'udp'), ('tls_passthrough')",
    })
  })

  it('allows mixing inside one group', () => {
    assert.equal(check({ protocols: ['tcp', 'tls', 'udp'], sources: [{ ip: '1.2.3.4' }] }), undefined)
    assert.equal(check({ protocols: ['grpc', 'grpcs'], paths: ['/'] }), undefined)
  })
})

describe('routes: scalar fields', () => {
  it('https_redirect_status_code is one of 426, 301, 302, 307, 308', () => {
    assert.deepEqual(check({ paths: ['/'], https_redirect_status_code: 404 }), {
      https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308',
    })
    for (const code of [426, 301, 302, 307, 308]) {
      assert.equal(check({ paths: ['/'], https_redirect_status_code: code }), undefined)
    }
  })

  it('booleans are required and typed', () => {
    assert.deepEqual(
      check({
        paths: ['/'],
        strip_path: null,
        preserve_host: 'yes',
        request_buffering: null,
        response_buffering: 1,
      }),
      {
        strip_path: 'required field missing',
        preserve_host: 'expected a boolean',
        request_buffering: 'required field missing',
        response_buffering: 'expected a boolean',
      },
    )
  })

  it('path_handling is v0 or v1', () => {
    assert.deepEqual(check({ paths: ['/'], path_handling: 'v2' }), {
      path_handling: 'expected one of: v0, v1',
    })
  })

  it('regex_priority is an integer', () => {
    assert.deepEqual(check({ paths: ['/'], regex_priority: 1.5 }), { regex_priority: 'expected an integer' })
    assert.equal(check({ paths: ['/'], regex_priority: -5 }), undefined)
  })

  it('name is a utf8 name', () => {
    assert.deepEqual(check({ paths: ['/'], name: 'my route' }), {
      name: "invalid value 'my route': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    })
    assert.deepEqual(check({ paths: ['/'], name: '' }), { name: 'length must be at least 1' })
    assert.equal(check({ paths: ['/'], name: 'my-route_1.x~' }), undefined)
  })

  it('service must reference an id', () => {
    assert.deepEqual(check({ paths: ['/'], service: { id: 'blergh' } }), {
      service: { id: 'expected a valid UUID' },
    })
    assert.deepEqual(check({ paths: ['/'], service: { id: null } }), {
      service: { id: 'required field missing' },
    })
    assert.deepEqual(check({ paths: ['/'], service: { name: 'x' } }), {
      service: { id: 'missing primary key' },
    })
    assert.equal(
      message({ paths: ['/'], service: { name: 'x' } }),
      'schema violation (service.id: missing primary key)',
    )
  })

  it('a foreign object with invalid fields reports them', () => {
    assert.deepEqual(check({ paths: ['/'], service: { id: 'x', name: 'a b' } }), {
      service: {
        id: 'expected a valid UUID',
        name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      },
    })
  })

  it('unknown fields', () => {
    assert.deepEqual(check({ paths: ['/'], expression: 'http.path == "/"' }), { expression: 'unknown field' })
  })
})

describe('routes: methods', () => {
  it('elements are non-empty uppercase strings', () => {
    assert.deepEqual(check({ methods: [123] }), { methods: ['expected a string'] })
    assert.deepEqual(check({ methods: [''] }), { methods: ['length must be at least 1'] })
    assert.deepEqual(check({ methods: ['GET', 'get'] }), { methods: [null, 'invalid value: get'] })
    assert.deepEqual(check({ methods: ['HELLO WORLD'] }), { methods: ['invalid value: HELLO WORLD'] })
    assert.deepEqual(check({ methods: [' GET'] }), { methods: ['invalid value:  GET'] })
  })

  it('accepts HTTP methods, deduplicated', () => {
    assert.equal(check({ methods: ['GET', 'POST', 'PATCH', 'DELETE', 'CUSTOM'] }), undefined)
    assert.deepEqual(prepare({ methods: ['GET', 'GET'] }).methods, ['GET'])
  })

  it('must be a set', () => {
    assert.deepEqual(check({ methods: 'GET' }), { methods: 'expected a set' })
  })
})

describe('routes: hosts', () => {
  it('elements are non-empty strings', () => {
    assert.deepEqual(check({ hosts: [false] }), { hosts: ['expected a string'] })
    assert.deepEqual(check({ hosts: [''] }), { hosts: ['length must be at least 1'] })
  })

  it('rejects invalid hostnames', () => {
    for (const h of [
      '/example',
      '.example',
      'example:',
      'mock;bin',
      'example.com/org',
      'example-.org',
      'example.org-',
      'hello..example.com',
      'hello-.example.com',
    ]) {
      assert.deepEqual(check({ hosts: [h] }), { hosts: [`invalid hostname: ${h}`] }, h)
    }
  })

  it('rejects an invalid port', () => {
    assert.deepEqual(check({ hosts: ['example.com:1000000'] }), { hosts: ['invalid port number'] })
  })

  it('rejects invalid wildcard placement', () => {
    for (const h of ['*example.com', 'www.example*', 'mock*bin.com']) {
      assert.deepEqual(
        check({ hosts: [h] }),
        { hosts: ['invalid wildcard: must be placed at leftmost or rightmost label'] },
        h,
      )
    }
  })

  it('rejects more than one wildcard', () => {
    for (const h of ['*.example.*', '**.example.com', '*.example*.*']) {
      assert.deepEqual(
        check({ hosts: [h] }),
        { hosts: ['invalid wildcard: must have at most one wildcard'] },
        h,
      )
    }
  })

  it('accepts names, ports, IPs and wildcards; stores them as given, duplicates kept', () => {
    for (const h of [
      'hello.com',
      'HELLO.com',
      '123helloWORLD.com',
      'example.123',
      'example_api.com',
      'localhost',
      'example.com:80',
      'example.com:8080',
      '3B-ww4c5e180e575a65lsy2b',
      'example.*',
      '*.example.org',
      '*.example.org:321',
      '10.0.0.1',
      '[::1]:8000',
    ]) {
      assert.equal(
        check({ protocols: ['http'], service: S, methods: [], paths: [], hosts: [h] }),
        undefined,
        h,
      )
    }
    assert.deepEqual(prepare({ hosts: ['A.test', 'A.test'] }).hosts, ['A.test', 'A.test'])
  })

  it('reports errors by position (no trailing valid elements, as Kong encodes them)', () => {
    assert.deepEqual(check({ hosts: ['ok.test', 'bad..test', 'ok2.test'] }), {
      hosts: [null, 'invalid hostname: bad..test'],
    })
  })
})

describe('routes: paths', () => {
  it('elements are non-empty strings starting with / or ~/', () => {
    assert.deepEqual(check({ paths: [false] }), { paths: ['expected a string'] })
    assert.deepEqual(check({ paths: [''] }), { paths: ['length must be at least 1'] })
    assert.deepEqual(check({ paths: ['/ok', 'foo'] }), {
      paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'],
    })
    assert.equal(
      message({ paths: ['/ok', 'foo'] }),
      'schema violation (paths.2: should start with: / (fixed path) or ~/ (regex path))',
    )
  })

  it('must not have empty segments', () => {
    assert.deepEqual(check({ paths: ['/foo//bar', '/foo/bar//', '//foo/bar'] }), {
      paths: ['must not have empty segments', 'must not have empty segments', 'must not have empty segments'],
    })
  })

  it('rejects bad percent-escapes', () => {
    const cases: [string, string][] = [
      ['/some%2words', '%2w'],
      ['/some%0Xwords', '%0X'],
      ['/some%2Gwords', '%2G'],
      ['/some%20words%', '%'],
      ['/some%20words%a', '%a'],
      ['/some%20words%ax', '%ax'],
    ]
    for (const [p, frag] of cases) {
      assert.deepEqual(check({ paths: [p] }), { paths: [`invalid url-encoded value: '${frag}'`] }, p)
    }
  })

  it('prefix paths must be normalized', () => {
    assert.deepEqual(check({ paths: ['/%c3%A4'] }), {
      paths: ["non-normalized path, consider use '/ä' instead"],
    })
    assert.deepEqual(check({ paths: ['/a/./b'] }), {
      paths: ["non-normalized path, consider use '/a/b' instead"],
    })
    assert.deepEqual(check({ paths: ['/a/../b'] }), {
      paths: ["non-normalized path, consider use '/b' instead"],
    })
    assert.deepEqual(check({ paths: ['/%2f'] }), {
      paths: ["non-normalized path, consider use '/%2F' instead"],
    })
    assert.equal(check({ paths: ['/%25'] }), undefined)
  })

  it('regex paths must compile', () => {
    const errs = check({ paths: ['~/users/(foo/profile'] })
    const list = errs?.paths as string[]
    assert.ok(Array.isArray(list))
    assert.ok(list[0].startsWith("invalid regex: '/users/(foo/profile' (PCRE returned: "), list[0])
  })

  it('regexes the router cannot execute fail the route with the router prefix (entity error)', () => {
    const errs = check({ paths: ['/ok', '~/a++b'] })
    const list = errs?.['@entity'] as string[] | undefined
    assert.ok(Array.isArray(list) && list.length === 1, JSON.stringify(errs))
    assert.ok(list[0].startsWith('Router Expression failed validation: '), list[0])
    assert.equal(errs?.paths, undefined)
  })

  it('accepts apex, unreserved characters, escapes, trailing slash and regexes', () => {
    assert.equal(
      check({
        paths: [
          '/',
          '/abcd~user~2',
          '/abcd%2F%3A%25',
          '/ovo/',
          '~/users/(?<id>\\d+)/profile',
          '~/$',
          '/with space',
        ],
      }),
      undefined,
    )
  })

  it('keeps duplicates (array)', () => {
    assert.deepEqual(prepare({ paths: ['/a', '/a'] }).paths, ['/a', '/a'])
  })
})

describe('routes: headers', () => {
  it('must be a map of header names to arrays of non-empty strings', () => {
    assert.deepEqual(check({ headers: [false] }), { headers: 'expected a map' })
    assert.deepEqual(check({ headers: { location: true } }), { headers: 'expected an array' })
    assert.deepEqual(check({ headers: { location: [true] } }), { headers: ['expected a string'] })
    assert.deepEqual(check({ headers: { location: [''] } }), { headers: ['length must be at least 1'] })
  })

  it('cannot contain host in any case', () => {
    for (const h of ['host', 'Host', 'HoSt']) {
      assert.deepEqual(check({ headers: { [h]: ['example.com'] } }), {
        headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
      })
    }
  })

  it('keys must be header names', () => {
    assert.deepEqual(check({ headers: { 'x y': ['v'] } }), {
      headers: "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    })
  })

  it('accepts valid headers', () => {
    assert.equal(check({ headers: { 'x-version': ['v1', 'v2'], X_Other: ['a'] } }), undefined)
  })
})

describe('routes: snis', () => {
  it('accepts names and wildcards for https/tls/tls_passthrough/grpcs routes', () => {
    assert.equal(
      check({ protocols: ['https'], snis: ['example.org', '*.example.org', 'example.*'] }),
      undefined,
    )
    assert.equal(check({ protocols: ['tls'], snis: ['example.org'] }), undefined)
    assert.equal(check({ protocols: ['tls_passthrough'], snis: ['example.org'] }), undefined)
    assert.equal(check({ protocols: ['grpcs'], snis: ['example.org'] }), undefined)
  })

  it('rejects IPs, ports and bad wildcards', () => {
    assert.deepEqual(check({ protocols: ['https'], snis: ['127.0.0.1'] }), { snis: ['must not be an IP'] })
    assert.deepEqual(check({ protocols: ['https'], snis: ['example.org:80'] }), {
      snis: ['must not have a port'],
    })
    assert.deepEqual(check({ protocols: ['https'], snis: ['exam*ple.org'] }), {
      snis: ['wildcard must be leftmost or rightmost character'],
    })
    assert.deepEqual(check({ protocols: ['https'], snis: ['*.example.*'] }), {
      snis: ['only one wildcard must be specified'],
    })
  })

  it('can only be set when protocols include grpcs, https, tls or tls_passthrough', () => {
    assert.deepEqual(check({ protocols: ['tcp', 'udp'], snis: ['example.org'], service: S }), {
      snis: 'length must be 0',
      '@entity': ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"],
    })
    assert.equal(check({ protocols: ['http', 'https'], snis: ['example.org'] }), undefined)
  })
})

describe('routes: stream routes', () => {
  const STREAM = "'tcp', 'tls', 'tls_passthrough' or 'udp'"

  it('accept tcp, tls, udp with sources/destinations', () => {
    for (const p of ['tcp', 'tls', 'udp']) {
      const r = prepare({ protocols: [p], sources: [{ ip: '127.0.0.1' }], service: S })
      assert.equal(validateRecord(routes, r), undefined, p)
      assert.deepEqual(r.protocols, [p])
      assert.deepEqual(r.sources, [{ ip: '127.0.0.1', port: null }])
    }
  })

  it('cannot set methods, hosts, paths, headers', () => {
    for (const p of ['tcp', 'tls', 'udp']) {
      const base = { protocols: [p], sources: [{ ip: '127.0.0.1' }], service: S }
      assert.deepEqual(check({ ...base, paths: ['/'] }), {
        paths: `cannot set 'paths' when 'protocols' is ${STREAM}`,
      })
      assert.deepEqual(check({ ...base, methods: ['GET'] }), {
        methods: `cannot set 'methods' when 'protocols' is ${STREAM}`,
      })
      assert.deepEqual(check({ ...base, hosts: ['a.test'] }), {
        hosts: `cannot set 'hosts' when 'protocols' is ${STREAM}`,
      })
      assert.deepEqual(check({ ...base, headers: { a: ['b'] } }), {
        headers: `cannot set 'headers' when 'protocols' is ${STREAM}`,
      })
    }
  })

  it('tcp/tls/udp need one of sources, destinations, snis', () => {
    for (const p of ['tcp', 'tls', 'udp']) {
      assert.deepEqual(check({ protocols: [p], service: S }), {
        '@entity': [
          "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
        ],
      })
    }
    assert.equal(check({ protocols: ['tcp'], destinations: [{ port: 80 }] }), undefined)
    assert.equal(check({ protocols: ['tls'], snis: ['a.test'] }), undefined)
  })

  it('tls_passthrough needs snis', () => {
    assert.deepEqual(check({ protocols: ['tls_passthrough'], sources: [{ ip: '127.0.0.1' }], service: S }), {
      '@entity': ["must set snis when 'protocols' is 'tls_passthrough'"],
    })
  })

  it('sources/destinations elements: ip or CIDR and/or port', () => {
    for (const field of ['sources', 'destinations']) {
      assert.equal(check({ protocols: ['tcp'], [field]: [{ ip: '127.75.78.72', port: 8000 }] }), undefined)
      assert.equal(check({ protocols: ['tcp'], [field]: [{ port: 8000 }] }), undefined)
      assert.equal(check({ protocols: ['tcp'], [field]: [{ ip: '10.0.0.0/8' }, { ip: '::1' }] }), undefined)
      assert.deepEqual(check({ protocols: ['tcp'], [field]: [{ port: 65536 }] }), {
        [field]: [{ port: 'value should be between 0 and 65535' }],
      })
      assert.deepEqual(check({ protocols: ['tcp'], [field]: [{ port: -1 }] }), {
        [field]: [{ port: 'value should be between 0 and 65535' }],
      })
      for (const ip of ['127.', ':::1', '-1', 'localhost', 'foo', '10.0.0.0/33']) {
        assert.deepEqual(
          check({ protocols: ['tcp'], [field]: [{ ip }] }),
          { [field]: [{ ip: `invalid ip or cidr range: '${ip}'` }] },
          `${field} ${ip}`,
        )
      }
      assert.deepEqual(check({ protocols: ['tcp'], [field]: [{}] }), {
        [field]: [{ '@entity': ["at least one of these fields must be non-empty: 'ip', 'port'"] }],
      })
      assert.deepEqual(check({ protocols: ['tcp'], [field]: [{ ip: '1.2.3.4', foo: 1 }] }), {
        [field]: [{ foo: 'unknown field' }],
      })
    }
  })

  it('nested element errors are rendered in the message', () => {
    assert.equal(
      message({ protocols: ['tcp'], sources: [{ ip: '1.2.3.4' }, { port: 70000 }] }),
      'schema violation (sources.2: {\n  port = "value should be between 0 and 65535"\n})',
    )
  })
})

describe('routes: grpc routes', () => {
  it('cannot set strip_path to true', () => {
    for (const p of ['grpc', 'grpcs']) {
      assert.deepEqual(check({ hosts: ['foo.grpc.test'], protocols: [p], strip_path: true, service: S }), {
        strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
      })
    }
  })

  it('cannot set methods, sources, destinations', () => {
    for (const p of ['grpc', 'grpcs']) {
      assert.deepEqual(check({ methods: ['GET'], paths: ['/foo'], protocols: [p], service: S }), {
        methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'",
      })
      assert.deepEqual(check({ sources: [{ port: 1 }], paths: ['/foo'], protocols: [p] }), {
        sources: "cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'",
      })
      assert.deepEqual(check({ destinations: [{ port: 1 }], paths: ['/foo'], protocols: [p] }), {
        destinations: "cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'",
      })
    }
  })

  it('need hosts, headers, paths (and snis for grpcs)', () => {
    assert.deepEqual(check({ protocols: ['grpc'], service: S }), {
      '@entity': ["must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'"],
    })
    assert.deepEqual(check({ protocols: ['grpcs'], service: S }), {
      '@entity': ["must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'"],
    })
    assert.equal(check({ protocols: ['grpcs'], snis: ['a.test'] }), undefined)
  })
})
