// SQL both relational strategies share (SQLite and PostgreSQL keep the same tables): identifier
// quoting, column values, the columns of a row, and the paging and tag-index queries. Queries
// use `?` placeholders; PostgreSQL numbers them.
import type { PageRequest, Row, TableSpec, TagPageRequest, WriteExtras } from './strategy.js'

export function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** A value as stored in a constraint column. */
export function columnValue(v: unknown): unknown {
  if (v === undefined) return null
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v !== null && typeof v === 'object') return JSON.stringify(v)
  return v
}

export const nowSeconds = (): number => Date.now() / 1000

/** ` AND <not expired>` for ttl entities, and its argument. */
export function live(t: TableSpec): [string, unknown[]] {
  return t.ttl ? [' AND (expires_at IS NULL OR expires_at > ?)', [nowSeconds()]] : ['', []]
}

/** Column names and values of a row: id, unique fields, `<fk>_id`, cache_key, expires_at, doc. */
export function rowColumns(t: TableSpec, row: Row, extras: WriteExtras | undefined): [string[], unknown[]] {
  const names = ['id']
  const values: unknown[] = [row.id]
  for (const f of t.uniqueFields) {
    if (f === 'id') continue
    names.push(f)
    values.push(columnValue(row[f]))
  }
  for (const f of t.foreignFields) {
    names.push(`${f}_id`)
    values.push((row[f] as { id?: string } | null | undefined)?.id ?? null)
  }
  if (t.cacheKey) {
    names.push('cache_key')
    values.push(extras?.cacheKey ?? null)
  }
  if (t.ttl) {
    names.push('expires_at')
    values.push(extras?.expiresAt ?? null)
  }
  names.push('doc')
  values.push(JSON.stringify(row))
  return [names, values]
}

/** One page of a table ordered by id: `size + 1` rows are asked to know whether more exist. */
export function pageQuery(t: TableSpec, req: PageRequest): [string, unknown[]] {
  const where: string[] = []
  const args: unknown[] = []
  if (req.after !== undefined) {
    where.push('id > ?')
    args.push(req.after)
  }
  if (req.foreign) {
    where.push(`${q(`${req.foreign.field}_id`)} = ?`)
    args.push(req.foreign.id)
  }
  if (req.tags && req.tags.length > 0) {
    const marks = req.tags.map(() => '?').join(', ')
    const having =
      req.tagsCond === 'or' ? '' : ` GROUP BY entity_id HAVING COUNT(DISTINCT tag) = ${req.tags.length}`
    where.push(`id IN (SELECT entity_id FROM tags WHERE entity_name = ? AND tag IN (${marks})${having})`)
    args.push(t.name, ...req.tags)
  }
  if (t.ttl) {
    where.push('(expires_at IS NULL OR expires_at > ?)')
    args.push(nowSeconds())
  }
  const sql = `SELECT doc FROM ${q(t.name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`
  return [sql, [...args, req.size + 1]]
}

/** One page of the tag index, ordered by tag, entity name and id. */
export function tagsQuery(req: TagPageRequest): [string, unknown[]] {
  const where: string[] = []
  const args: unknown[] = []
  if (req.tag !== undefined) {
    where.push('tag = ?')
    args.push(req.tag)
  }
  if (req.after) {
    where.push('(tag, entity_name, entity_id) > (?, ?, ?)')
    args.push(...req.after)
  }
  const sql = `SELECT tag, entity_name, entity_id FROM tags${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY tag, entity_name, entity_id LIMIT ?`
  return [sql, [...args, req.size + 1]]
}
