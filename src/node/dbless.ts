// DB-less mode on a node (declarative.md §8): the configuration comes from `declarative_config`
// (or `declarative_config_string`) at start and from `POST /config` afterwards, replaces the
// in-memory store as a whole, and is kept in the prefix so that a restart without a file serves
// the last one applied. With `declarative_config_writable = on` (Silverback only) the Admin API
// may also write entities one by one; each change is written back to the declarative file in
// the same transaction (a failed file write undoes the change).
import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseSize } from '../conf/index.js'
import type { Conf } from '../conf/types.js'
import type { DB } from '../db/dao/db.js'
import {
  type DeclarativeError,
  type DeclarativeModel,
  EMPTY_CONFIG_HASH,
  type FlatConfig,
  flattenDeclarative,
  formatDeclarativeError,
  loadDeclarativeText,
  md5Hex,
} from '../db/declarative/index.js'
import { exportStore, replaceConfiguration } from '../db/declarative/store.js'
import type { Row, StoreOps } from '../db/strategies/strategy.js'

/** Where the last configuration applied is kept, under the prefix. */
export const PERSISTED_FILE = 'dbless.json'

interface Persisted {
  hash: string
  entities: Record<string, Row[]>
}

export type ConfigInput = { text: string } | { object: unknown }

export type LoadOutcome =
  | { status: 'loaded'; config: FlatConfig }
  | { status: 'unchanged' }
  | { status: 'invalid'; error: DeclarativeError }
  | { status: 'busy' }
  | { status: 'too-large' }

/** Writes a file so that readers see the old or the new content, never a part. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, text, { mode: 0o600 })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

export class DblessConfig {
  /** The running configuration's hash (`configuration_hash`). */
  hash = EMPTY_CONFIG_HASH
  private loading = false
  private readonly maxBytes: number | null

  constructor(
    private readonly conf: Conf,
    private readonly db: DB,
    private readonly model: DeclarativeModel,
    /** Called after a configuration replaced the previous one. */
    private readonly onReplaced: () => void,
  ) {
    this.maxBytes = parseSize(String(conf.lmdb_map_size ?? '2048m'))
  }

  get writable(): boolean {
    return this.conf.declarative_config_writable === true
  }

  private get file(): string | null {
    const f = this.conf.declarative_config
    return typeof f === 'string' && f !== '' ? f : null
  }

  /** Whether a configuration with at least one entity is loaded (`/status/ready`). */
  get loaded(): boolean {
    return this.hash !== EMPTY_CONFIG_HASH
  }

  /** The first configuration: the file, else the string, else the one kept in the prefix. */
  async loadInitial(): Promise<void> {
    this.db.readOnly = !this.writable
    if (this.writable) {
      if (!this.file)
        throw new Error('declarative_config_writable = on needs declarative_config (the file it writes)')
      this.db.beforeCommit = (ops) => this.writeBack(ops)
    }
    const file = this.file
    const inline = this.conf.declarative_config_string
    if (file) {
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch (err) {
        const reason =
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
        throw new Error(
          `error parsing declarative config file ${file}:\nfailed reading config file at ${file}: ${reason}`,
        )
      }
      const r = loadDeclarativeText(text, this.model, { filename: basename(file) })
      if (!r.ok)
        throw new Error(`error parsing declarative config file ${file}:\n${formatDeclarativeError(r.error)}`)
      await this.apply(r.value, false)
    } else if (typeof inline === 'string' && inline !== '') {
      const r = loadDeclarativeText(inline, this.model)
      if (!r.ok)
        throw new Error(`error parsing declarative string ${inline}:\n${formatDeclarativeError(r.error)}`)
      await this.apply(r.value, false)
    } else {
      const kept = this.readPersisted()
      if (kept) {
        await replaceConfiguration(this.db, this.model, kept.entities)
        this.hash = kept.hash
      }
    }
  }

  private readPersisted(): Persisted | null {
    try {
      const p = JSON.parse(readFileSync(join(this.conf.prefix, PERSISTED_FILE), 'utf8')) as Persisted
      return typeof p.hash === 'string' && typeof p.entities === 'object' ? p : null
    } catch {
      return null
    }
  }

  /** `POST /config`: validates, then replaces the whole configuration. */
  async load(input: ConfigInput, checkHash: boolean): Promise<LoadOutcome> {
    if (this.loading) return { status: 'busy' }
    this.loading = true
    try {
      let result: ReturnType<typeof loadDeclarativeText>
      if ('text' in input) {
        if (checkHash && md5Hex(input.text) === this.hash) return { status: 'unchanged' }
        result = loadDeclarativeText(input.text, this.model)
      } else result = flattenDeclarative(input.object, this.model)
      if (!result.ok) return { status: 'invalid', error: result.error }
      if (this.maxBytes !== null && Buffer.byteLength(JSON.stringify(result.value.entities)) > this.maxBytes)
        return { status: 'too-large' }
      await this.apply(result.value, true)
      return { status: 'loaded', config: result.value }
    } finally {
      this.loading = false
    }
  }

  private async apply(config: FlatConfig, notify: boolean): Promise<void> {
    await replaceConfiguration(this.db, this.model, config.entities)
    this.hash = config.hash
    const persisted: Persisted = { hash: config.hash, entities: config.entities }
    try {
      writeFileAtomic(join(this.conf.prefix, PERSISTED_FILE), JSON.stringify(persisted))
    } catch {
      // the prefix is not writable: the configuration still applies, it is just not kept
    }
    if (!notify) return
    // (a file loaded at start is left as it is)
    if (this.writable && this.file) writeFileAtomic(this.file, await this.exportText(this.db.strategy))
    this.onReplaced()
  }

  /** The running configuration as an export document (YAML), read through `ops`. */
  exportText(ops: StoreOps = this.db.strategy): Promise<string> {
    return exportStore(this.db, this.model, ops)
  }

  /** Writable mode: the file follows every committed write (inside its transaction). */
  private async writeBack(ops: StoreOps): Promise<void> {
    const text = await this.exportText(ops)
    writeFileAtomic(this.file!, text)
    this.hash = md5Hex(text)
  }
}
