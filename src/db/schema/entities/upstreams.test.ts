// The upstreams schema (entities.md §6): defaults, name rules, hashing rules and their
// normalization (§6.1), health checks (§6.2).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errors } from '../../dao/errors.js'
import { processAutoFields } from '../auto-fields.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas, upstreams } from './index.js'

coreSchemas({})

const HEALTHCHECKS = {
  threshold: 0,
  active: {
    type: 'http',
    timeout: 1,
    concurrency: 10,
    http_path: '/',
    https_sni: null,
    https_verify_certificate: true,
    headers: null,
    healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
    unhealthy: {
      interval: 0,
      http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
      tcp_failures: 0,
      timeouts: 0,
      http_failures: 0,
    },
  },
  passive: {
    type: 'http',
    healthy: {
      http_statuses: [
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
      ],
      successes: 0,
    },
    unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
  },
}

function prepare(input: Record<string, unknown>, context: 'insert' | 'update' = 'insert') {
  const res = processAutoFields(upstreams, input, context)
  assert.ok('value' in res, JSON.stringify(res))
  return res.value
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(upstreams, prepare(input), {}, true)
}

const COND_HASH_ON = "failed conditional validation given value of field 'hash_on'"
const COND_FALLBACK = "failed conditional validation given value of field 'hash_fallback'"
const U = { name: 'my.upstream' }

describe('upstreams: defaults', () => {
  it('produces every field with its default', () => {
    const u = prepare(U)
    assert.equal(validateRecord(upstreams, u), undefined)
    const { id, created_at, updated_at, ...rest } = u
    assert.match(String(id), /^[0-9a-f-]{36}$/)
    assert.ok(Number.isInteger(created_at))
    assert.equal(created_at, updated_at)
    assert.deepEqual(rest, {
      name: 'my.upstream',
      algorithm: 'round-robin',
      hash_on: 'none',
      hash_fallback: 'none',
      hash_on_header: null,
      hash_fallback_header: null,
      hash_on_cookie: null,
      hash_on_cookie_path: '/',
      hash_on_query_arg: null,
      hash_fallback_query_arg: null,
      hash_on_uri_capture: null,
      hash_fallback_uri_capture: null,
      slots: 10000,
      healthchecks: HEALTHCHECKS,
      tags: null,
      host_header: null,
      client_certificate: null,
      use_srv_name: false,
    })
  })

  it('merges partial healthchecks with the defaults', () => {
    const u = prepare({
      ...U,
      healthchecks: { active: { timeout: 5, healthy: { interval: 3 } }, threshold: 50 },
    })
    assert.deepEqual(u.healthchecks, {
      ...HEALTHCHECKS,
      threshold: 50,
      active: {
        ...HEALTHCHECKS.active,
        timeout: 5,
        healthy: { ...HEALTHCHECKS.active.healthy, interval: 3 },
      },
    })
    assert.equal(validateRecord(upstreams, u), undefined)
  })
})

describe('upstreams: name', () => {
  it('is required', () => {
    assert.deepEqual(check({}), { name: 'required field missing' })
  })

  it('must be a hostname without port', () => {
    assert.deepEqual(check({ name: 'a b' }), { name: "Invalid name ('a b'); must be a valid hostname" })
    assert.deepEqual(check({ name: '10.0.0.1' }), {
      name: "Invalid name ('10.0.0.1'); no ip addresses allowed",
    })
    assert.deepEqual(check({ name: 'svc.test:80' }), {
      name: "Invalid name ('svc.test:80'); no port allowed",
    })
    assert.deepEqual(check({ name: '' }), { name: 'length must be at least 1' })
    assert.equal(check({ name: 'valid.name' }), undefined)
    assert.equal(check({ name: 'localhost' }), undefined)
  })
})

describe('upstreams: fields', () => {
  it('algorithm', () => {
    assert.deepEqual(check({ ...U, algorithm: 'random' }), {
      algorithm: 'expected one of: consistent-hashing, least-connections, round-robin, latency',
    })
  })

  it('hash_on / hash_fallback', () => {
    const msg = 'expected one of: none, consumer, ip, header, cookie, path, query_arg, uri_capture'
    assert.deepEqual(check({ ...U, hash_on: 'header', hash_on_header: 'x-a', hash_fallback: 'bad' }), {
      hash_fallback: msg,
    })
    assert.deepEqual(check({ ...U, hash_on: 'bad' })?.hash_on, msg)
  })

  it('slots between 10 and 65536', () => {
    assert.deepEqual(check({ ...U, slots: 9 }), { slots: 'value should be between 10 and 65536' })
    assert.deepEqual(check({ ...U, slots: 65537 }), { slots: 'value should be between 10 and 65536' })
    assert.equal(check({ ...U, slots: 10 }), undefined)
    assert.equal(check({ ...U, slots: 65536 }), undefined)
  })

  it('hash_on_header / hash_fallback_header are header names', () => {
    // The conditional check runs on invalid fields too (Kong), hence the entity error.
    assert.deepEqual(check({ ...U, hash_on: 'header', hash_on_header: 'x y' }), {
      hash_on_header: "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
      '@entity': [COND_HASH_ON],
    })
  })

  it('hash_on_cookie is an HTTP token', () => {
    const errs = check({ ...U, hash_on: 'cookie', hash_on_cookie: 'a b' })
    assert.ok(
      typeof errs?.hash_on_cookie === 'string' &&
        errs.hash_on_cookie.startsWith('contains one or more invalid characters'),
    )
  })

  it('hash_on_cookie_path is a path', () => {
    assert.deepEqual(check({ ...U, hash_on_cookie_path: 'x' }), {
      hash_on_cookie_path: 'should start with: /',
    })
  })

  it('host_header: hostname or IP with optional port', () => {
    assert.equal(check({ ...U, host_header: 'a.test:8000' }), undefined)
    assert.equal(check({ ...U, host_header: '10.0.0.1' }), undefined)
    assert.ok(check({ ...U, host_header: 'a b' })?.host_header)
  })

  it('use_srv_name is a boolean', () => {
    assert.deepEqual(check({ ...U, use_srv_name: 'yes' }), { use_srv_name: 'expected a boolean' })
  })

  it('client_certificate is a foreign key', () => {
    assert.deepEqual(check({ ...U, client_certificate: { id: 'x' } }), {
      client_certificate: { id: 'expected a valid UUID' },
    })
  })
})

describe('upstreams: hashing rules (§6.1)', () => {
  it('hash_on = none requires hash_fallback = none', () => {
    assert.deepEqual(check({ ...U, hash_on: 'none', hash_fallback: 'consumer' }), {
      hash_fallback: 'expected one of: none',
      '@entity': [COND_HASH_ON],
    })
  })

  it('hash_on = cookie requires hash_fallback = none', () => {
    assert.deepEqual(check({ ...U, hash_on: 'cookie', hash_on_cookie: 'c', hash_fallback: 'ip' }), {
      hash_fallback: 'expected one of: none',
      '@entity': [COND_HASH_ON],
    })
    assert.equal(check({ ...U, hash_on: 'cookie', hash_on_cookie: 'c' }), undefined)
  })

  it('hash_fallback must differ from hash_on for consumer, ip, path', () => {
    assert.deepEqual(check({ ...U, hash_on: 'consumer', hash_fallback: 'consumer' }), {
      hash_fallback: 'expected one of: none, ip, header, cookie, path, query_arg, uri_capture',
      '@entity': [COND_HASH_ON],
    })
    assert.deepEqual(check({ ...U, hash_on: 'ip', hash_fallback: 'ip' }), {
      hash_fallback: 'expected one of: none, consumer, header, cookie, path, query_arg, uri_capture',
      '@entity': [COND_HASH_ON],
    })
    assert.deepEqual(check({ ...U, hash_on: 'path', hash_fallback: 'path' }), {
      hash_fallback: 'expected one of: none, consumer, header, cookie, query_arg, ip, uri_capture',
      '@entity': [COND_HASH_ON],
    })
    assert.equal(check({ ...U, hash_on: 'consumer', hash_fallback: 'ip' }), undefined)
    assert.equal(check({ ...U, hash_on: 'ip', hash_fallback: 'path' }), undefined)
  })

  it('hash_on = header requires hash_on_header', () => {
    assert.deepEqual(check({ ...U, hash_on: 'header' }), {
      hash_on_header: 'required field missing',
      '@entity': [COND_HASH_ON],
    })
    assert.equal(
      errors.schemaViolation(check({ ...U, hash_on: 'header' })!).message,
      `2 schema violations (${COND_HASH_ON}; hash_on_header: required field missing)`,
    )
  })

  it('hash_fallback = header requires hash_fallback_header', () => {
    assert.deepEqual(check({ ...U, hash_on: 'consumer', hash_fallback: 'header' }), {
      hash_fallback_header: 'required field missing',
      '@entity': [COND_FALLBACK],
    })
  })

  it('header names must be distinct', () => {
    assert.deepEqual(
      check({
        ...U,
        hash_on: 'header',
        hash_on_header: 'x-a',
        hash_fallback: 'header',
        hash_fallback_header: 'x-a',
      }),
      { '@entity': ["values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'"] },
    )
    assert.equal(
      check({
        ...U,
        hash_on: 'header',
        hash_on_header: 'x-a',
        hash_fallback: 'header',
        hash_fallback_header: 'x-b',
      }),
      undefined,
    )
  })

  it('cookie (as hash_on or hash_fallback) requires hash_on_cookie', () => {
    assert.deepEqual(check({ ...U, hash_on: 'cookie' }), {
      hash_on_cookie: 'required field missing',
      '@entity': [COND_HASH_ON],
    })
    assert.deepEqual(check({ ...U, hash_on: 'ip', hash_fallback: 'cookie' }), {
      hash_on_cookie: 'required field missing',
      '@entity': [COND_FALLBACK],
    })
  })

  it('query_arg requires its argument names, which must be distinct', () => {
    assert.deepEqual(check({ ...U, hash_on: 'query_arg' }), {
      hash_on_query_arg: 'required field missing',
      '@entity': [COND_HASH_ON],
    })
    assert.deepEqual(check({ ...U, hash_on: 'ip', hash_fallback: 'query_arg' }), {
      hash_fallback_query_arg: 'required field missing',
      '@entity': [COND_FALLBACK],
    })
    assert.deepEqual(
      check({
        ...U,
        hash_on: 'query_arg',
        hash_on_query_arg: 'q',
        hash_fallback: 'query_arg',
        hash_fallback_query_arg: 'q',
      }),
      {
        '@entity': [
          "values of these fields must be distinct: 'hash_on_query_arg', 'hash_fallback_query_arg'",
        ],
      },
    )
  })

  it('uri_capture requires its capture names, which must be distinct', () => {
    assert.deepEqual(check({ ...U, hash_on: 'uri_capture' }), {
      hash_on_uri_capture: 'required field missing',
      '@entity': [COND_HASH_ON],
    })
    assert.deepEqual(check({ ...U, hash_on: 'ip', hash_fallback: 'uri_capture' }), {
      hash_fallback_uri_capture: 'required field missing',
      '@entity': [COND_FALLBACK],
    })
    assert.deepEqual(
      check({
        ...U,
        hash_on: 'uri_capture',
        hash_on_uri_capture: 'c',
        hash_fallback: 'uri_capture',
        hash_fallback_uri_capture: 'c',
      }),
      {
        '@entity': [
          "values of these fields must be distinct: 'hash_on_uri_capture', 'hash_fallback_uri_capture'",
        ],
      },
    )
  })

  it('the argument names cannot be empty strings', () => {
    assert.deepEqual(check({ ...U, hash_on: 'query_arg', hash_on_query_arg: '' }), {
      hash_on_query_arg: 'length must be at least 1',
      '@entity': [COND_HASH_ON],
    })
  })
})

describe('upstreams: algorithm/hash_on normalization (§6.1)', () => {
  const pick = (v: Record<string, unknown>) => ({ algorithm: v.algorithm, hash_on: v.hash_on })

  it('least-connections and latency reset hash_on to none', () => {
    assert.deepEqual(
      pick(prepare({ ...U, algorithm: 'least-connections', hash_on: 'header', hash_on_header: 'x' })),
      {
        algorithm: 'least-connections',
        hash_on: 'none',
      },
    )
    assert.deepEqual(pick(prepare({ algorithm: 'latency' }, 'update')), {
      algorithm: 'latency',
      hash_on: 'none',
    })
  })

  it('hash_on none alone switches the algorithm back to round-robin', () => {
    assert.deepEqual(pick(prepare({ hash_on: 'none' }, 'update')), {
      algorithm: 'round-robin',
      hash_on: 'none',
    })
    assert.deepEqual(pick(prepare({ ...U, algorithm: 'consistent-hashing', hash_on: 'none' })), {
      algorithm: 'round-robin',
      hash_on: 'none',
    })
  })

  it('but not when step 1 applied', () => {
    assert.deepEqual(pick(prepare({ ...U, algorithm: 'least-connections', hash_on: 'none' })), {
      algorithm: 'least-connections',
      hash_on: 'none',
    })
  })

  it('any other hash_on selects consistent-hashing', () => {
    assert.deepEqual(pick(prepare({ hash_on: 'ip' }, 'update')), {
      algorithm: 'consistent-hashing',
      hash_on: 'ip',
    })
    assert.deepEqual(pick(prepare({ ...U, algorithm: 'round-robin', hash_on: 'consumer' })), {
      algorithm: 'consistent-hashing',
      hash_on: 'consumer',
    })
  })

  it('an explicit null hash_on becomes none', () => {
    assert.deepEqual(pick(prepare({ hash_on: null }, 'update')), { algorithm: undefined, hash_on: 'none' })
  })

  it('other algorithms leave hash_on alone', () => {
    assert.deepEqual(pick(prepare({ algorithm: 'consistent-hashing' }, 'update')), {
      algorithm: 'consistent-hashing',
      hash_on: undefined,
    })
  })
})

describe('upstreams: healthchecks (§6.2)', () => {
  const hc = (healthchecks: Record<string, unknown>) => check({ ...U, healthchecks })

  it('validates types and ranges, nested', () => {
    assert.deepEqual(hc({ active: { concurrency: 0 } }), {
      healthchecks: { active: { concurrency: 'value should be between 1 and 2147483648' } },
    })
    assert.deepEqual(hc({ active: { timeout: 65536 } }), {
      healthchecks: { active: { timeout: 'value should be between 0 and 65535' } },
    })
    assert.deepEqual(hc({ active: { type: 'udp' } }), {
      healthchecks: { active: { type: 'expected one of: tcp, http, https, grpc, grpcs' } },
    })
    assert.deepEqual(hc({ active: { healthy: { successes: 256 } } }), {
      healthchecks: { active: { healthy: { successes: 'value should be between 0 and 255' } } },
    })
    assert.deepEqual(hc({ passive: { unhealthy: { http_statuses: [500, 99, 1000] } } }), {
      healthchecks: {
        passive: {
          unhealthy: {
            http_statuses: [
              null,
              'value should be between 100 and 999',
              'value should be between 100 and 999',
            ],
          },
        },
      },
    })
    assert.deepEqual(hc({ threshold: 101 }), {
      healthchecks: { threshold: 'value should be between 0 and 100' },
    })
    assert.deepEqual(hc({ active: { http_path: 'x' } }), {
      healthchecks: { active: { http_path: 'should start with: /' } },
    })
    assert.deepEqual(hc({ active: { https_sni: '10.0.0.1' } }), {
      healthchecks: { active: { https_sni: 'must not be an IP' } },
    })
    assert.deepEqual(hc({ active: { healthy: { interval: 1.5 } } }), undefined)
    assert.deepEqual(hc({ active: { headers: { 'x-a': ['1'] } } }), undefined)
    assert.deepEqual(hc({ active: { headers: { 'x a': ['1'] } } }), {
      healthchecks: {
        active: { headers: "bad header name 'x a', allowed characters are A-Z, a-z, 0-9, '_', and '-'" },
      },
    })
  })

  it('rejects unknown fields inside healthchecks', () => {
    assert.deepEqual(hc({ active: { foo: 1 } }), { healthchecks: { active: { foo: 'unknown field' } } })
    assert.deepEqual(hc({ bar: 1 }), { healthchecks: { bar: 'unknown field' } })
  })

  it('formats nested errors in the message', () => {
    const errs = hc({ threshold: 101 })
    assert.equal(
      errors.schemaViolation(errs!).message,
      'schema violation (healthchecks.threshold: value should be between 0 and 100)',
    )
  })
})

describe('upstreams: healthchecks table of Kong cases', () => {
  const seconds = 'value should be between 0 and 65535'
  const posInteger = 'value should be between 1 and 2147483648'
  const zeroInteger = 'value should be between 0 and 255'
  const statusCode = 'value should be between 100 and 999'
  const integer = 'expected an integer'
  const threshold = 'value should be between 0 and 100'
  const invalidHost = 'invalid value: '

  /** The first string found descending the error tree. */
  function leaf(tree: unknown): string {
    let cur = tree
    while (cur && typeof cur === 'object') {
      const values = (Array.isArray(cur) ? cur : Object.values(cur)).filter(
        (v) => v !== null && v !== undefined,
      )
      cur = values[0]
    }
    return String(cur)
  }

  const refused: [Record<string, unknown>, string][] = [
    [{ active: { timeout: -1 } }, seconds],
    [{ active: { timeout: 1e42 } }, seconds],
    [{ active: { concurrency: 0.5 } }, integer],
    [{ active: { concurrency: 0 } }, posInteger],
    [{ active: { concurrency: -10 } }, posInteger],
    [{ active: { http_path: '' } }, 'length must be at least 1'],
    [{ active: { http_path: 'ovo' } }, 'should start with: /'],
    [{ active: { https_sni: '127.0.0.1' } }, 'must not be an IP'],
    [{ active: { https_sni: '127.0.0.1:8080' } }, 'must not be an IP'],
    [{ active: { https_sni: '/example' } }, invalidHost],
    [{ active: { https_sni: '.example' } }, invalidHost],
    [{ active: { https_sni: 'example:' } }, invalidHost],
    [{ active: { https_sni: 'mock;bin' } }, invalidHost],
    [{ active: { https_sni: 'example.com/org' } }, invalidHost],
    [{ active: { https_sni: 'example-.org' } }, invalidHost],
    [{ active: { https_sni: 'hello..example.com' } }, invalidHost],
    [{ active: { https_sni: 'example.com:1234' } }, 'must not have a port'],
    [{ active: { https_verify_certificate: 'ovo' } }, 'expected a boolean'],
    [{ active: { headers: 0 } }, 'expected a map'],
    [{ active: { headers: { 'x-header': 123 } } }, 'expected an array'],
    [{ active: { healthy: { interval: -1 } } }, seconds],
    [{ active: { healthy: { http_statuses: 404 } } }, 'expected an array'],
    [{ active: { healthy: { http_statuses: ['ovo'] } } }, integer],
    [{ active: { healthy: { http_statuses: [-1] } } }, statusCode],
    [{ active: { healthy: { http_statuses: [111.314] } } }, integer],
    [{ active: { healthy: { successes: 0.5 } } }, integer],
    [{ active: { healthy: { successes: -1 } } }, zeroInteger],
    [{ active: { unhealthy: { timeouts: 1 } }, threshold: -1 }, threshold],
    [{ active: { unhealthy: { timeouts: 1 } }, threshold: '50' }, 'expected a number'],
    [{ active: { unhealthy: { timeouts: 1 } }, threshold: true }, 'expected a number'],
    [{ active: { unhealthy: { tcp_failures: 256 } } }, zeroInteger],
    [{ active: { unhealthy: { http_failures: 0.5 } } }, integer],
    [{ passive: { healthy: { http_statuses: [1000] } } }, statusCode],
    [{ passive: { healthy: { successes: -1 } } }, zeroInteger],
    [{ passive: { unhealthy: { timeouts: 256 } } }, zeroInteger],
    [{ passive: { unhealthy: { http_failures: -1 } } }, zeroInteger],
    [{ passive: { unhealthy: { timeouts: 1 } }, threshold: 101 }, threshold],
  ]
  for (const [healthchecks, message] of refused) {
    it(`refuses ${JSON.stringify(healthchecks)}`, () => {
      const errs = validateRecord(upstreams, prepare({ name: 'x', healthchecks }))
      assert.ok(errs?.healthchecks, JSON.stringify(errs))
      assert.ok(leaf(errs.healthchecks).includes(message), `${leaf(errs.healthchecks)} / ${message}`)
    })
  }

  const accepted: Record<string, unknown>[] = [
    { active: { timeout: 0.5 } },
    { active: { concurrency: 2 } },
    { active: { http_path: '/test' } },
    { active: { https_sni: 'example.com' } },
    { active: { https_sni: 'example.test.' } },
    { active: { https_verify_certificate: false } },
    { active: { healthy: { http_statuses: [200, 300] } } },
    { active: { healthy: { successes: 255 } } },
    { active: { unhealthy: { tcp_failures: 255, timeouts: 255, http_failures: 2 } } },
    { active: { unhealthy: { http_failures: 2 } }, threshold: 50.5 },
    { passive: { healthy: { http_statuses: [200, 201], successes: 255 } } },
    {
      passive: {
        unhealthy: { http_statuses: [400, 500], tcp_failures: 255, timeouts: 255, http_failures: 255 },
      },
    },
    { passive: { unhealthy: { http_failures: 2 } }, threshold: 100 },
  ]
  for (const healthchecks of accepted) {
    it(`accepts ${JSON.stringify(healthchecks)}`, () => {
      assert.equal(validateRecord(upstreams, prepare({ name: 'x', healthchecks })), undefined)
    })
  }

  it('host_header reports the parser message', () => {
    for (const h of ['http://ahostname.test', 'ahostname-', 'a hostname']) {
      assert.deepEqual(check({ name: 'host.test', host_header: h }), {
        host_header: `invalid hostname: ${h}`,
      })
    }
    assert.equal(check({ name: 'host.test', host_header: 'a.hostname.test' }), undefined)
  })

  it('a valid hashing configuration', () => {
    assert.equal(
      check({
        name: 'my_service',
        hash_on: 'header',
        hash_on_header: 'X-Balance',
        hash_fallback: 'cookie',
        hash_on_cookie: 'a_cookie',
      }),
      undefined,
    )
  })
})
