import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCli } from '../../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'silverback-config-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('cli: config init and parse', () => {
  it('init writes a commented sample that parses, and refuses to overwrite it', async () => {
    const file = join(dir, 'kong.yml')
    const init = await runCli(['config', 'init', file])
    assert.equal(init.code, 0, init.stderr)
    const text = readFileSync(file, 'utf8')
    assert.match(text, /^_format_version: "3\.0"$/m)
    assert.match(text, /^_transform: true$/m)
    assert.match(text, /^#/m)
    const parse = await runCli(['config', 'parse', file])
    assert.equal(parse.code, 0, parse.stderr)
    assert.equal(parse.stdout, 'parse successful\n')
    const again = await runCli(['config', 'init', file])
    assert.equal(again.code, 1)
    assert.match(again.stderr, new RegExp(`Error: ${file} already exists\\.\\nWill not overwrite it\\.`))
  })

  it('parse reports errors as Kong prints them', async () => {
    const file = join(dir, 'bad.yml')
    writeFileSync(file, '_format_version: "3.0"\nservices:\n- name: a\n  routes:\n  - paths: [x]\n')
    const res = await runCli(['config', 'parse', file])
    assert.equal(res.code, 1)
    assert.match(
      res.stderr,
      /Error: Failed parsing:\nin 'services':\n {2}- in entry 1 of 'services':\n {4}in 'host': required field missing\n/,
    )
    assert.match(
      res.stderr,
      /in entry 1 of 'paths': should start with: \/ \(fixed path\) or ~\/ \(regex path\)/,
    )
  })

  it('parse validates a JSON file and unknown plugins', async () => {
    const file = join(dir, 'plugins.json')
    writeFileSync(file, JSON.stringify({ _format_version: '3.0', plugins: [{ name: 'no-such-plugin' }] }))
    const res = await runCli(['config', 'parse', file])
    assert.equal(res.code, 1)
    assert.match(
      res.stderr,
      /plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property/,
    )
  })

  it('parse needs a file argument', async () => {
    const res = await runCli(['config', 'parse'])
    assert.equal(res.code, 1)
    assert.match(res.stderr, /expected a declarative configuration file; see `kong config --help`/)
  })
})
