// Certificates own their SNIs: the transient `snis` list creates, replaces or keeps the SNI
// entities of a certificate, and responses list the names, sorted.
import type { Row, StoreOps } from '../strategies/strategy.js'
import type { EntityHooks, HookContext } from './hooks.js'

async function sniNames(hctx: { dao: HookContext['dao'] }, ops: StoreOps, certId: string): Promise<Row[]> {
  const snis = hctx.dao.db.dao('snis')
  const rows: Row[] = []
  let after: string | undefined
  for (;;) {
    const page = await ops.page(snis.table, {
      size: 1000,
      after,
      foreign: { field: 'certificate', id: certId },
    })
    rows.push(...page.rows)
    if (!page.more || page.rows.length === 0) return rows
    after = String(page.rows[page.rows.length - 1].id)
  }
}

/** The requested SNI list: undefined keeps the current SNIs, null removes them all. */
function requested(input: Row): string[] | undefined {
  if (input.snis === undefined) return undefined
  if (!Array.isArray(input.snis)) return []
  return input.snis.filter((s): s is string => typeof s === 'string')
}

export const certificateHooks: EntityHooks = {
  async validate(entity, hctx) {
    const names = requested(hctx.input)
    if (!names) return undefined
    const seen = new Set<string>()
    for (const name of names) {
      if (seen.has(name)) return { snis: `${name} is duplicated` }
      seen.add(name)
    }
    const snis = hctx.dao.db.dao('snis')
    for (const name of names) {
      const row = await hctx.ops.selectByField(snis.table, 'name', name)
      const owner = (row?.certificate as { id?: string } | undefined)?.id
      if (row && owner !== entity.id) {
        return { snis: `${name} already associated with existing certificate '${owner}'` }
      }
    }
    return undefined
  },
  async afterWrite(entity, hctx) {
    const names = requested(hctx.input)
    if (!names) return
    const snis = hctx.dao.db.dao('snis')
    const current = await sniNames(hctx, hctx.ops, String(entity.id))
    const wanted = new Set(names)
    for (const row of current) {
      if (!wanted.has(String(row.name))) await snis.deleteRow(row, hctx.ctx)
    }
    const have = new Set(current.map((r) => String(r.name)))
    for (const name of [...wanted].sort()) {
      if (!have.has(name)) await snis.insert({ name, certificate: { id: entity.id } }, { ctx: hctx.ctx })
    }
  },
  async present(entity, ops, dao) {
    const rows = await sniNames({ dao }, ops, String(entity.id))
    return { ...entity, snis: rows.map((r) => String(r.name)).sort() }
  },
}
