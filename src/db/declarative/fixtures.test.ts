// Test support for the declarative tests (named *.test.ts so that the build leaves it out; it
// declares no tests itself). Key material is generated per run, never checked in.
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pluginSchema } from '../../plugins/definition.js'
import { BUNDLED_PLUGINS, PluginRegistry } from '../../plugins/registry.js'
import { generateSelfSigned, type KeyPair } from '../../tls/self-signed.js'
import { VERSION } from '../../version.js'
import type { Clock } from '../schema/auto-fields.js'
import { f } from '../schema/field.js'
import type { Row } from '../strategies/strategy.js'
import type { DeclarativeError } from './errors.js'
import { type FlatConfig, flattenDeclarative, loadDeclarativeText } from './flatten.js'
import { DeclarativeModel } from './model.js'

/** `created_at`/`updated_at` of every loaded entity (targets keep the milliseconds). */
export const NOW = 1717000000.25
export const clock: Clock = { now: () => NOW }

/** The node's model with the bundled plugins (key-auth). */
export const bundledModel = DeclarativeModel.fromRegistry(PluginRegistry.fromSetting(['bundled']).registry)

/**
 * A plugin type that may be scoped to consumers (key-auth may not), to test nesting plugins in
 * consumers; registered next to the bundled ones.
 */
export const consumerPluginModel = DeclarativeModel.fromRegistry(
  new PluginRegistry([
    ...BUNDLED_PLUGINS,
    {
      name: 'request-tag',
      version: VERSION,
      priority: 10,
      schema: pluginSchema({
        name: 'request-tag',
        config: { header: f.string({ required: true, default: 'x-tag' }), value: f.string() },
      }),
    },
  ]),
)

export function load(text: string, model: DeclarativeModel = bundledModel, filename?: string): FlatConfig {
  const r = loadDeclarativeText(text, model, { clock, filename })
  if (!r.ok) throw new Error(`unexpected failure: ${r.error.message}`)
  return r.value
}

export function loadError(text: string, model: DeclarativeModel = bundledModel): DeclarativeError {
  const r = loadDeclarativeText(text, model, { clock })
  if (r.ok) throw new Error('expected the configuration to be refused')
  return r.error
}

export function flatten(doc: Record<string, unknown>, model: DeclarativeModel = bundledModel): FlatConfig {
  const r = flattenDeclarative(doc, model, { clock })
  if (!r.ok) throw new Error(`unexpected failure: ${r.error.message}`)
  return r.value
}

export function flattenError(
  doc: Record<string, unknown>,
  model: DeclarativeModel = bundledModel,
): DeclarativeError {
  const r = flattenDeclarative(doc, model, { clock })
  if (r.ok) throw new Error('expected the configuration to be refused')
  return r.error
}

/** The only row of `type`, or the one whose `key` field is `value`. */
export function rowOf(config: FlatConfig, type: string, key?: string, value?: unknown): Row {
  const rows = config.entities[type] ?? []
  const found = key === undefined ? rows : rows.filter((r) => r[key] === value)
  if (found.length !== 1) throw new Error(`expected one ${type} row, found ${found.length}`)
  return found[0]
}

let leaf: KeyPair | undefined

/** A certificate and its key (EC, generated once per run). */
export function certificatePair(): KeyPair {
  leaf ??= generateSelfSigned({ type: 'ec', commonName: 'api.example.test' })
  return leaf
}

let ca: string | undefined

/** A CA certificate (basicConstraints CA:TRUE), made with the openssl CLI once per run. */
export function caCertificate(): string {
  if (ca) return ca
  const dir = mkdtempSync(join(tmpdir(), 'silverback-declarative-ca-'))
  try {
    const config = join(dir, 'openssl.cnf')
    writeFileSync(
      config,
      '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = declarative.test\n[ca]\nbasicConstraints = critical,CA:TRUE\n',
    )
    const certFile = join(dir, 'ca.crt')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-config',
        config,
        '-extensions',
        'ca',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        certFile,
        '-days',
        '30',
      ],
      { stdio: 'pipe' },
    )
    ca = readFileSync(certFile, 'utf8')
    return ca
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A PEM public key (for `keys.pem.public_key`). */
export function publicKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString()
}

/** A public JWK string whose `kid` is `kid` (for `keys.jwk`). */
export function publicJwk(kid: string): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid })
}

/** Indents a multi-line string as a YAML block scalar body. */
export function block(text: string, indent: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `${indent}${l}`)
    .join('\n')
}
