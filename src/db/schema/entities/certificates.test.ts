// The certificates, snis and ca_certificates schemas (entities.md §8–10). Key material is
// generated per run (node:crypto for key pairs, the openssl CLI for CA certificates).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateSelfSigned, type KeyPair } from '../../../tls/self-signed.js'
import { processAutoFields } from '../auto-fields.js'
import type { EntitySchema } from '../entity.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { caCertificates, certificates, coreSchemas, snis } from './index.js'

coreSchemas({})

function check(schema: EntitySchema, input: Record<string, unknown>): FieldErrors | undefined {
  const res = processAutoFields(schema, input, 'insert')
  assert.ok('value' in res)
  return validateRecord(schema, res.value, {}, true)
}

const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ca.silverback.test
[ca_ext]
basicConstraints = critical,CA:TRUE
[ca]
default_ca = myca
[myca]
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = pol
[pol]
commonName = supplied
`

let dir: string
let rsa: KeyPair
let ec: KeyPair
let caPem: string
let expiredCaPem: string

before(() => {
  rsa = generateSelfSigned({ type: 'rsa', commonName: 'rsa.test' })
  ec = generateSelfSigned({ type: 'ec', commonName: 'ec.test' })
  dir = mkdtempSync(join(tmpdir(), 'sb-certs-'))
  writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_CNF)
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '01\n')
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'])
  run([
    'req',
    '-x509',
    '-config',
    'openssl.cnf',
    '-extensions',
    'ca_ext',
    '-key',
    'ca.key',
    '-days',
    '30',
    '-out',
    'ca.crt',
  ])
  caPem = readFileSync(join(dir, 'ca.crt'), 'utf8')
  run(['req', '-new', '-config', 'openssl.cnf', '-key', 'ca.key', '-out', 'ca.csr'])
  run([
    'ca',
    '-batch',
    '-notext',
    '-config',
    'openssl.cnf',
    '-selfsign',
    '-keyfile',
    'ca.key',
    '-in',
    'ca.csr',
    '-startdate',
    '20000101000000Z',
    '-enddate',
    '20010101000000Z',
    '-extfile',
    'openssl.cnf',
    '-extensions',
    'ca_ext',
    '-out',
    'expired.crt',
  ])
  expiredCaPem = readFileSync(join(dir, 'expired.crt'), 'utf8')
})

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('certificates schema', () => {
  it('accepts a matching pair, and an alternate pair of another key type', () => {
    assert.equal(check(certificates, { cert: rsa.cert, key: rsa.key }), undefined)
    assert.equal(
      check(certificates, { cert: rsa.cert, key: rsa.key, cert_alt: ec.cert, key_alt: ec.key }),
      undefined,
    )
  })

  it('produces all fields (snis absent unless given)', () => {
    const res = processAutoFields(certificates, { cert: rsa.cert, key: rsa.key }, 'insert')
    assert.ok('value' in res)
    assert.equal(res.value.cert_alt, null)
    assert.equal(res.value.key_alt, null)
    assert.equal(res.value.tags, null)
  })

  it('cert and key are required', () => {
    assert.deepEqual(check(certificates, {}), {
      cert: 'required field missing',
      key: 'required field missing',
    })
  })

  it('cert must parse as X.509, key as a private key', () => {
    const errs = check(certificates, { cert: 'nope', key: 'nope' })
    assert.ok(
      typeof errs?.cert === 'string' && errs.cert.startsWith('invalid certificate: '),
      String(errs?.cert),
    )
    assert.ok(typeof errs?.key === 'string' && errs.key.startsWith('invalid key: '), String(errs?.key))
    assert.equal(Object.keys(errs!).length, 2)
  })

  it('cert and key must match', () => {
    assert.deepEqual(check(certificates, { cert: rsa.cert, key: ec.key }), {
      '@entity': ['certificate does not match key'],
    })
  })

  it('cert_alt and key_alt go together', () => {
    const msg = { '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"] }
    assert.deepEqual(check(certificates, { cert: rsa.cert, key: rsa.key, cert_alt: ec.cert }), msg)
    assert.deepEqual(check(certificates, { cert: rsa.cert, key: rsa.key, key_alt: ec.key }), msg)
  })

  it('the alternate pair must match', () => {
    assert.deepEqual(
      check(certificates, { cert: rsa.cert, key: rsa.key, cert_alt: ec.cert, key_alt: rsa.key }),
      {
        '@entity': ['alternative certificate does not match key'],
      },
    )
  })

  it('cert and cert_alt must have different key types', () => {
    assert.deepEqual(
      check(certificates, { cert: ec.cert, key: ec.key, cert_alt: ec.cert, key_alt: ec.key }),
      {
        '@entity': [
          'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type',
        ],
      },
    )
  })

  it('accepts vault references for cert and key', () => {
    assert.equal(check(certificates, { cert: '{vault://env/cert}', key: '{vault://env/key}' }), undefined)
  })

  it('snis: array of wildcard hosts, errors by position', () => {
    assert.equal(
      check(certificates, { cert: rsa.cert, key: rsa.key, snis: ['a.test', '*.b.test', 'c.*'] }),
      undefined,
    )
    assert.deepEqual(check(certificates, { cert: rsa.cert, key: rsa.key, snis: ['a.test', '10.0.0.1'] }), {
      snis: [null, 'must not be an IP'],
    })
  })

  it('rejects unknown fields', () => {
    assert.deepEqual(check(certificates, { cert: rsa.cert, key: rsa.key, sni: 'x' }), {
      sni: 'unknown field',
    })
  })
})

describe('snis schema', () => {
  const C = { id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' }

  it('name and certificate are required', () => {
    assert.deepEqual(check(snis, {}), {
      name: 'required field missing',
      certificate: 'required field missing',
    })
  })

  it('accepts names and wildcards', () => {
    for (const name of ['example.test', '*.example.test', 'example.*', '*']) {
      assert.equal(check(snis, { name, certificate: C }), undefined, name)
    }
  })

  it('rejects IPs, ports and bad wildcards', () => {
    assert.deepEqual(check(snis, { name: '10.0.0.1', certificate: C }), { name: 'must not be an IP' })
    assert.deepEqual(check(snis, { name: 'a.test:443', certificate: C }), { name: 'must not have a port' })
    assert.deepEqual(check(snis, { name: 'a.*.test', certificate: C }), {
      name: 'wildcard must be leftmost or rightmost character',
    })
    assert.deepEqual(check(snis, { name: '*.a.*', certificate: C }), {
      name: 'only one wildcard must be specified',
    })
    assert.deepEqual(check(snis, { name: 'a..test', certificate: C }), { name: 'invalid value: a..test' })
  })

  it("Kong's SNI name cases", () => {
    for (const name of [
      'valid.name',
      'foo.valid.name',
      'bar.foo.valid.name',
      '*',
      '*.wildcard.com',
      'wildcard.*',
      'test.wildcard.*',
      'foo.test.wildcard.*',
      '*.test.wildcard.com',
    ]) {
      assert.equal(check(snis, { name, certificate: C }), undefined, name)
    }
    for (const name of ['foo.*.com', 'foo.*.wildcard.com']) {
      assert.deepEqual(
        check(snis, { name, certificate: C }),
        { name: 'wildcard must be leftmost or rightmost character' },
        name,
      )
    }
    for (const name of ['*.example.*', '*.foo.*.wildcard.com', '*.*.wildcard.*']) {
      assert.deepEqual(
        check(snis, { name, certificate: C }),
        { name: 'only one wildcard must be specified' },
        name,
      )
    }
    for (const name of [
      '*.wildcard.com:8000',
      'wildcard.*:80',
      'test.wildcard.*:80',
      'test.wildcard.com:*',
    ]) {
      const err = check(snis, { name, certificate: C })?.name
      assert.ok(
        err === 'must not have a port' ||
          err === 'invalid value: test.wildcard.com:wildcard' ||
          err === 'wildcard must be leftmost or rightmost character',
        `${name}: ${String(err)}`,
      )
    }
    for (const name of ['valid.name:8000', 'foo.valid.name:443']) {
      assert.deepEqual(check(snis, { name, certificate: C }), { name: 'must not have a port' }, name)
    }
    for (const name of ['127.0.0.1', '10.0.0.1', '10.0.0.1:8001', '::1']) {
      assert.deepEqual(check(snis, { name, certificate: C }), { name: 'must not be an IP' }, name)
    }
    assert.deepEqual(check(snis, { name: 'example^com', certificate: C }), {
      name: 'invalid value: example^com',
    })
  })

  it('certificate must be a foreign key', () => {
    assert.deepEqual(check(snis, { name: 'a.test', certificate: { id: 'x' } }), {
      certificate: { id: 'expected a valid UUID' },
    })
  })
})

describe('ca_certificates schema', () => {
  it('accepts a CA certificate', () => {
    assert.equal(check(caCertificates, { cert: caPem }), undefined)
  })

  it('cert is required and must parse', () => {
    assert.deepEqual(check(caCertificates, {}), { cert: 'required field missing' })
    const errs = check(caCertificates, { cert: 'garbage' })
    assert.ok(typeof errs?.cert === 'string' && errs.cert.startsWith('invalid certificate: '))
    assert.equal(errs?.['@entity'], undefined)
  })

  it('only one certificate at a time', () => {
    assert.deepEqual(check(caCertificates, { cert: caPem + caPem }), {
      '@entity': ['please submit only one certificate at a time'],
    })
  })

  it('must not be expired', () => {
    assert.deepEqual(check(caCertificates, { cert: expiredCaPem }), {
      '@entity': ['certificate expired, "Not After" time is in the past'],
    })
  })

  it('must have the CA basic constraint', () => {
    assert.deepEqual(check(caCertificates, { cert: rsa.cert }), {
      '@entity': ['certificate does not appear to be a CA because it is missing the "CA" basic constraint'],
    })
  })

  it('rejects unknown fields', () => {
    assert.deepEqual(check(caCertificates, { cert: caPem, key: 'x' }), { key: 'unknown field' })
  })
})
