// Real-world files from /work/shared/corpus/declarative (see its README for verdicts), read
// in-process: a few valid files load with their ids and digests, the invalid ones are refused for
// the README's reason. test/integration/dbless/corpus.test.ts walks the whole folder through
// `config parse` and `POST /config`.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { formatDeclarativeError } from './errors.js'
import { bundledModel, clock } from './fixtures.test.js'
import { loadDeclarativeText } from './flatten.js'

const CORPUS = '/work/shared/corpus/declarative'
const available = existsSync(join(CORPUS, 'README.md'))

/** "valid" verdict, only core entities and key-auth without credentials. */
const VALID = [
  'jonathanlazaro1__kong-dbless-sample__kong.json',
  'dinokey__kong-dbless-example__kong-grpc.yml',
  'Kong__deck__reset-001-ca-cert.yml',
]

/** "invalid" verdict, with what must be reported. */
const INVALID: Record<string, RegExp> = {
  'rawsashimi1604__kong-dbless-helm-setup__merged.yml':
    /- in entry 2 of 'services': uniqueness violation: 'services' entity with name set to 'mock-frontend' already declared/,
  'amey-admane__kong-deck-configuration__kong.yml':
    /in 'paths':\n\s+- in entry 1 of 'paths': should start with: \/ \(fixed path\) or ~\/ \(regex path\)/,
  'Kong__deck__sync-009-ca-cert-expired.yml': /certificate expired, "Not After" time is in the past/,
  'Kong__deck__root-kong.yml': /in '_format_version': required field missing\nin '_info': unknown field/,
}

function verdictOf(readme: string, file: string): string {
  const line = readme.split('\n').find((l) => l.startsWith(`| \`${file}\``))
  if (!line) throw new Error(`${file} is not in the corpus README`)
  const cells = line.split('|').map((c) => c.trim())
  return cells[cells.length - 2]
}

function loadFile(file: string) {
  return loadDeclarativeText(readFileSync(join(CORPUS, file), 'utf8'), bundledModel, {
    clock,
    filename: file,
  })
}

describe('corpus of real-world declarative files', {
  skip: available ? false : `${CORPUS} not found`,
}, () => {
  const readme = available ? readFileSync(join(CORPUS, 'README.md'), 'utf8') : ''

  for (const file of VALID) {
    it(`loads ${file}`, () => {
      assert.match(verdictOf(readme, file), /^\*\*valid\*\*/)
      const r = loadFile(file)
      assert.ok(r.ok, r.ok ? '' : formatDeclarativeError(r.error))
      assert.ok(Object.keys(r.value.entities).length > 0)
    })
  }

  for (const [file, reason] of Object.entries(INVALID)) {
    it(`refuses ${file}`, () => {
      assert.match(verdictOf(readme, file), /^\*\*invalid\*\*/)
      const r = loadFile(file)
      assert.ok(!r.ok)
      assert.match(formatDeclarativeError(r.error), reason)
    })
  }

  it('keeps the explicit ids and digests of the loaded files', () => {
    const sample = loadFile('jonathanlazaro1__kong-dbless-sample__kong.json')
    assert.ok(sample.ok)
    assert.deepEqual(sample.value.entities.routes[0].service, { id: '92c0cc6a-b7e7-5bd4-939b-720b3aada806' })
    // The file says 1.1: its plain path is kept as a prefix path.
    assert.deepEqual(sample.value.entities.routes[0].paths, ['/customers'])
    const ca = loadFile('Kong__deck__reset-001-ca-cert.yml')
    assert.ok(ca.ok)
    // The digest Kong computed (written by decK into the file) equals the one computed here.
    assert.equal(
      ca.value.entities.ca_certificates[0].cert_digest,
      '34e0f1f3d83faefcc8514b6295bc822eab1110dc120140ddf342c017baee8c0f',
    )
  })
})
