// `/tags` and `/tags/{tag}`: read-only index of (tag, entity) pairs across all entities.

import { MAX_PAGE_SIZE } from '../../db/dao/dao.js'
import { errors } from '../../db/dao/errors.js'
import { decodeOffset, encodeOffset } from '../../db/dao/offset.js'
import { invalidUtf8Message } from '../../db/schema/validators/names.js'
import type { AdminContext } from '../context.js'
import { type AdminRequest, type Handler, ok } from '../http.js'
import type { Router } from '../router.js'
import { pageOffset, pageSize } from './entities.js'

async function page(req: AdminRequest, ctx: AdminContext, tag: string | undefined) {
  const size = pageSize(req.query) ?? 100
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw errors.invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`)
  }
  const offset = pageOffset(req.query)
  let after: [string, string, string] | undefined
  if (offset !== undefined) {
    const key = decodeOffset(offset)
    if (typeof key === 'string') throw errors.invalidOffset(offset, key)
    if (key.length !== 3 || !key.every((k) => typeof k === 'string'))
      throw errors.invalidOffset(offset, 'bad json encoding')
    after = key as [string, string, string]
  }
  const res = await ctx.db.strategy.tags({ size, after, tag })
  const last = res.rows[res.rows.length - 1]
  return {
    rows: res.rows,
    offset: res.more && last ? encodeOffset([last.tag, last.entity_name, last.entity_id]) : undefined,
  }
}

const readOnly = () => {
  throw errors.schemaViolation({ tags: 'does not support insert/upsert/update/delete operations' })
}

export function addTagEndpoints(router: Router<Handler<AdminContext>>): void {
  router.add('/tags', {
    GET: async (req, ctx) => {
      const p = await page(req, ctx, undefined)
      const next = p.offset ? `/tags?offset=${encodeURIComponent(p.offset)}` : null
      return ok({ data: p.rows, ...(p.offset ? { offset: p.offset } : {}), next })
    },
    POST: readOnly,
  })
  router.add('/tags/:tags', {
    GET: async (req, ctx) => {
      const tag = req.params.tags
      const bad = invalidUtf8Message(tag)
      if (bad) throw errors.invalidUnique('tag', bad)
      const p = await page(req, ctx, tag)
      const next = p.offset ? `/tags/${encodeURIComponent(tag)}?offset=${encodeURIComponent(p.offset)}` : null
      return ok({ data: p.rows, ...(p.offset ? { offset: p.offset } : {}), next })
    },
  })
}
