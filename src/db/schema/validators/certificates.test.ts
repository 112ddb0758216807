import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  certDigest,
  certificateEntityErrors,
  certificateKeyType,
  certificateMatchesKey,
  parseCertificate,
  parseKey,
  parsePrivateKey,
  validateCaCertificate,
  validateCertificate,
  validateKey,
} from './certificates.js'

// Certificates are generated per run with the openssl CLI; no key material is checked in.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = silverback.test
[ca]
basicConstraints = critical,CA:TRUE
[leaf]
basicConstraints = critical,CA:FALSE
[plain]
subjectKeyIdentifier = hash
`

interface Pair {
  cert: string
  key: string
}

let dir: string
const fixtures: Record<string, Pair> = {}

function generate(name: string, keyArgs: string[], extensions: 'ca' | 'leaf' | 'plain'): Pair {
  const keyFile = join(dir, `${name}.key`)
  const certFile = join(dir, `${name}.crt`)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-config',
      join(dir, 'openssl.cnf'),
      '-extensions',
      extensions,
      ...keyArgs,
      '-nodes',
    ].concat(['-keyout', keyFile, '-out', certFile, '-days', '30']),
    { stdio: 'pipe' },
  )
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
}

function publicPem(privatePem: string): string {
  return execFileSync('openssl', ['pkey', '-pubout'], { input: privatePem }).toString()
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'silverback-certs-'))
  writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_CONFIG)
  fixtures.rsaCa = generate('rsa-ca', ['-newkey', 'rsa:2048'], 'ca')
  fixtures.rsaLeaf = generate('rsa-leaf', ['-newkey', 'rsa:2048'], 'leaf')
  fixtures.rsaPlain = generate('rsa-plain', ['-newkey', 'rsa:2048'], 'plain')
  fixtures.ec = generate('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'leaf')
  fixtures.ed = generate('ed', ['-newkey', 'ed25519'], 'leaf')
})

after(() => rmSync(dir, { recursive: true, force: true }))

describe('parseCertificate / validateCertificate', () => {
  it('parses PEM certificates (the first one of a chain)', () => {
    const r = parseCertificate(fixtures.rsaLeaf.cert)
    assert.ok('cert' in r)
    assert.equal(r.cert.subject, 'CN=silverback.test')
    const chain = parseCertificate(fixtures.ec.cert + fixtures.rsaCa.cert)
    assert.ok('cert' in chain)
    assert.equal(chain.cert.publicKey.asymmetricKeyType, 'ec')
    assert.equal(validateCertificate(fixtures.ed.cert), undefined)
  })

  it('reports OpenSSL errors', () => {
    for (const bad of [
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      fixtures.rsaLeaf.key,
    ]) {
      const r = parseCertificate(bad)
      assert.ok('error' in r)
      assert.match(r.error, /^invalid certificate: x509\.new: .+/)
      assert.equal(validateCertificate(bad), r.error)
    }
  })

  it('skips vault references', () => {
    assert.equal(validateCertificate('{vault://env/cert}'), undefined)
  })
})

describe('parsePrivateKey / parseKey / validateKey', () => {
  it('loads private keys', () => {
    for (const f of ['rsaLeaf', 'ec', 'ed']) {
      const r = parsePrivateKey(fixtures[f].key)
      assert.ok('key' in r, f)
      assert.equal(r.key.type, 'private')
      assert.equal(validateKey(fixtures[f].key), undefined)
    }
  })

  it('parseKey also loads public keys, like the key typedef', () => {
    const pub = publicPem(fixtures.ec.key)
    assert.ok('error' in parsePrivateKey(pub))
    const r = parseKey(pub)
    assert.ok('key' in r)
    assert.equal(r.key.type, 'public')
    assert.equal(validateKey(pub), undefined)
  })

  it('reports OpenSSL errors', () => {
    for (const bad of [
      'not a key',
      '-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n',
      fixtures.rsaLeaf.cert,
    ]) {
      assert.match(validateKey(bad) ?? '', /^invalid key: pkey\.new:load_key: .+/, bad)
      const r = parsePrivateKey(bad)
      assert.ok('error' in r && r.error.startsWith('invalid key: '))
    }
  })

  it('skips vault references', () => {
    assert.equal(validateKey('{vault://env/key}'), undefined)
  })
})

describe('certificateMatchesKey / certificateKeyType', () => {
  it('compares the public keys', () => {
    assert.equal(certificateMatchesKey(fixtures.rsaLeaf.cert, fixtures.rsaLeaf.key), true)
    assert.equal(certificateMatchesKey(fixtures.ed.cert, fixtures.ed.key), true)
    assert.equal(certificateMatchesKey(fixtures.rsaLeaf.cert, fixtures.rsaCa.key), false)
    assert.equal(certificateMatchesKey(fixtures.rsaLeaf.cert, 'garbage'), false)
    assert.equal(
      certificateMatchesKey(new X509Certificate(fixtures.ec.cert), createPrivateKey(fixtures.ec.key)),
      true,
    )
    assert.equal(certificateMatchesKey(fixtures.ec.cert, publicPem(fixtures.ec.key)), true)
  })

  it('names the key type', () => {
    assert.equal(certificateKeyType(fixtures.rsaLeaf.cert), 'rsa')
    assert.equal(certificateKeyType(fixtures.ec.cert), 'ec')
    assert.equal(certificateKeyType(fixtures.ed.cert), 'ed25519')
    assert.equal(certificateKeyType('nope'), undefined)
  })
})

describe('certificateEntityErrors', () => {
  it('accepts matching pairs of different types', () => {
    assert.deepEqual(certificateEntityErrors({ cert: fixtures.rsaLeaf.cert, key: fixtures.rsaLeaf.key }), [])
    assert.deepEqual(
      certificateEntityErrors({
        cert: fixtures.rsaLeaf.cert,
        key: fixtures.rsaLeaf.key,
        cert_alt: fixtures.ec.cert,
        key_alt: fixtures.ec.key,
      }),
      [],
    )
  })

  it('reports every failed check', () => {
    assert.deepEqual(certificateEntityErrors({ cert: fixtures.rsaLeaf.cert, key: fixtures.rsaCa.key }), [
      'certificate does not match key',
    ])
    assert.deepEqual(
      certificateEntityErrors({
        cert: fixtures.rsaLeaf.cert,
        key: fixtures.rsaLeaf.key,
        cert_alt: fixtures.ec.cert,
        key_alt: fixtures.ed.key,
      }),
      ['alternative certificate does not match key'],
    )
    assert.deepEqual(
      certificateEntityErrors({
        cert: fixtures.rsaLeaf.cert,
        key: fixtures.rsaCa.key,
        cert_alt: fixtures.rsaPlain.cert,
        key_alt: fixtures.rsaPlain.key,
      }),
      [
        'certificate does not match key',
        'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type',
      ],
    )
  })

  it('skips checks involving vault references, missing or unparsable values', () => {
    assert.deepEqual(certificateEntityErrors({ cert: '{vault://env/c}', key: fixtures.rsaCa.key }), [])
    assert.deepEqual(certificateEntityErrors({ cert: fixtures.rsaLeaf.cert, key: 'garbage' }), [])
    assert.deepEqual(
      certificateEntityErrors({
        cert: fixtures.rsaLeaf.cert,
        key: fixtures.rsaLeaf.key,
        cert_alt: null,
        key_alt: null,
      }),
      [],
    )
    assert.deepEqual(
      certificateEntityErrors({
        cert: fixtures.ec.cert,
        key: fixtures.ec.key,
        cert_alt: '{vault://env/alt}',
        key_alt: fixtures.ec.key,
      }),
      [],
    )
  })
})

describe('validateCaCertificate / certDigest', () => {
  it('accepts a single, current CA certificate', () => {
    assert.equal(validateCaCertificate(fixtures.rsaCa.cert), undefined)
  })

  it('refuses bundles', () => {
    assert.equal(
      validateCaCertificate(fixtures.rsaCa.cert + fixtures.rsaLeaf.cert),
      'please submit only one certificate at a time',
    )
  })

  it('refuses expired certificates', () => {
    const notAfter = Date.parse(new X509Certificate(fixtures.rsaCa.cert).validTo) / 1000
    assert.equal(validateCaCertificate(fixtures.rsaCa.cert, notAfter - 1), undefined)
    assert.equal(
      validateCaCertificate(fixtures.rsaCa.cert, notAfter + 1),
      'certificate expired, "Not After" time is in the past',
    )
  })

  it('requires the CA basic constraint', () => {
    const message = 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
    assert.equal(validateCaCertificate(fixtures.rsaLeaf.cert), message)
    assert.equal(validateCaCertificate(fixtures.rsaPlain.cert), message)
  })

  it('reports unparsable certificates', () => {
    assert.match(validateCaCertificate('garbage') ?? '', /^invalid certificate: /)
  })

  it('computes the lowercase hex SHA-256 of the DER', () => {
    const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], {
      input: fixtures.rsaCa.cert,
    })
      .toString()
      .trim()
      .replace(/^.*=/, '')
      .replaceAll(':', '')
      .toLowerCase()
    assert.equal(certDigest(fixtures.rsaCa.cert), fingerprint)
    assert.match(fingerprint, /^[0-9a-f]{64}$/)
    assert.equal(certDigest(new X509Certificate(fixtures.rsaCa.cert)), fingerprint)
    assert.equal(certDigest('garbage'), undefined)
  })
})
