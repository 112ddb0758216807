// Admin API endpoints generated from entity schemas, as Kong does: for every entity a collection
// and an entity endpoint, and for every foreign key `child.parent` the nested collection
// (`/parents/{p}/children`), the nested entity (`/parents/{p}/children/{c}`) and the foreign-entity
// endpoint (`/children/{c}/parent`).
import { randomUUID } from 'node:crypto'
import type { Dao, EntityKey } from '../../db/dao/dao.js'
import type { DB } from '../../db/dao/db.js'
import { errors } from '../../db/dao/errors.js'
import type { EntitySchema } from '../../db/schema/entity.js'
import type { RecordDefinition } from '../../db/schema/record.js'
import { isUuid } from '../../db/schema/validate.js'
import type { Row } from '../../db/strategies/strategy.js'
import { isValidUtf8 } from '../../util/utf8.js'
import { inferRecord, inferValue } from '../arguments.js'
import {
  type AdminRequest,
  type AdminResponse,
  created,
  type Handler,
  noContent,
  notFound,
  ok,
} from '../http.js'
import type { Router } from '../router.js'

export interface EntityContext {
  db: DB
}

const TAG_BYTES = '[\\x20-\\x2B\\x2D\\x2E\\x30-\\x7E\\u0080-\\u{10FFFF}]'
const TAGS_AND = new RegExp(`^(${TAG_BYTES}+(?:,|$))+$`, 'u')
const TAGS_OR = new RegExp(`^(${TAG_BYTES}+(?:/|$))+$`, 'u')

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v
}

/** `{id}` for UUID segments, else the entity's endpoint key (Kong's path addressing). */
export function entityKey(schema: EntitySchema, segment: string): EntityKey {
  if (isUuid(segment) || !schema.endpoint_key) return { id: segment }
  return { field: schema.endpoint_key, value: inferValue(segment, schema.fields[schema.endpoint_key]) }
}

/** Converts form/multipart bodies with the schema; JSON bodies are used as sent. */
export function bodyArgs(req: AdminRequest, def: RecordDefinition): Row {
  const body = { ...req.body }
  return req.bodyKind === 'form' || req.bodyKind === 'multipart' ? inferRecord(body, def) : body
}

/** Splits off the `ttl` write option of expiring entities. */
export function takeTtl(schema: EntitySchema, body: Row): number | undefined {
  if (!schema.ttl || body.ttl === undefined) return undefined
  const ttl = body.ttl
  delete body.ttl
  if (typeof ttl !== 'number')
    throw errors.invalidOptions({ ttl: 'must be an integer between 0 and 100000000' })
  return ttl
}

/** Parses `?size=`: non-numeric values are a 400 "size must be a number". */
export function pageSize(query: Record<string, unknown>): number | undefined {
  const raw = query.size
  if (raw === undefined) return undefined
  const v = first(raw)
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN
  if (Number.isNaN(n)) throw errors.invalidSize('size must be a number')
  return n
}

export function pageOffset(query: Record<string, unknown>): string | undefined {
  const v = first(query.offset)
  if (v === undefined) return undefined
  return typeof v === 'string' ? v : String(v)
}

/** Parses `?tags=a,b` (all of) or `?tags=a/b` (any of). */
export function tagFilter(
  query: Record<string, unknown>,
): { tags: string[]; tagsCond: 'and' | 'or' } | undefined {
  if (query.tags === undefined) return undefined
  const v = first(query.tags)
  if (typeof v !== 'string' || v.length === 0) throw errors.invalidOptions({ tags: 'cannot be null' })
  if (!isValidUtf8(v)) throw errors.invalidOptions({ tags: 'invalid filter syntax' })
  if (TAGS_AND.test(v)) return { tags: v.split(','), tagsCond: 'and' }
  if (TAGS_OR.test(v)) return { tags: v.split('/'), tagsCond: 'or' }
  throw errors.invalidOptions({ tags: 'invalid filter syntax' })
}

function nextQuery(offset: string): string {
  return `offset=${encodeURIComponent(offset)}`
}

export interface EntityEndpointOptions {
  /** Converts body arguments for this entity (plugins pick their subschema by name). */
  infer?: (req: AdminRequest, dao: Dao, key?: EntityKey) => Promise<Row>
}

/** Adds the generated endpoints of every registered entity that has an Admin API. */
export function addEntityEndpoints<C extends EntityContext>(
  router: Router<Handler<C>>,
  db: DB,
  options: Record<string, EntityEndpointOptions> = {},
): void {
  const inferFor = async (req: AdminRequest, dao: Dao, key?: EntityKey): Promise<Row> => {
    const custom = options[dao.name]?.infer
    return custom ? custom(req, dao, key) : bodyArgs(req, dao.schema)
  }

  for (const dao of db.entities) {
    const schema = dao.schema
    if (schema.generate_admin_api === false) continue
    const api = schema.apiName
    const param = schema.name

    // /services
    router.add(`/${api}`, {
      GET: async (req) => {
        const filter = tagFilter(req.query)
        const page = await dao.page({ size: pageSize(req.query), offset: pageOffset(req.query), ...filter })
        let next: string | null = null
        if (page.offset) {
          next = `/${api}?${nextQuery(page.offset)}`
          const tags = first(req.query.tags)
          if (typeof tags === 'string') next += `&tags=${encodeURIComponent(tags)}`
          const size = first(req.query.size)
          if (size !== undefined) next += `&size=${size}`
        }
        return ok({ data: page.data, ...(page.offset ? { offset: page.offset } : {}), next })
      },
      POST: async (req) => {
        const body = await inferFor(req, dao)
        const ttl = takeTtl(schema, body)
        return created(await dao.insert(body, { ttl }))
      },
    })

    // /services/:services
    router.add(`/${api}/:${param}`, {
      GET: async (req) => {
        const entity = await dao.selectByKey(entityKey(schema, req.params[param]))
        return entity ? ok(entity) : notFound()
      },
      PUT: async (req) => {
        const key = entityKey(schema, req.params[param])
        const body = await inferFor(req, dao, key)
        const ttl = takeTtl(schema, body)
        return ok(await dao.upsert(key, body, { ttl }))
      },
      PATCH: async (req) => {
        const key = entityKey(schema, req.params[param])
        const body = await inferFor(req, dao, key)
        const ttl = takeTtl(schema, body)
        return ok(await dao.update(key, body, { ttl }))
      },
      DELETE: async (req) => {
        await dao.delete(entityKey(schema, req.params[param]))
        return noContent()
      },
    })

    for (const field of schema.foreignFields) {
      const parent = db.dao(schema.fields[field].reference!)
      addForeignEntityEndpoint(router, dao, parent, field, inferFor)
      addNestedEndpoints(router, dao, parent, field, inferFor)
    }
  }
}

type Infer = (req: AdminRequest, dao: Dao, key?: EntityKey) => Promise<Row>

/** `/routes/{r}/service`: operates on the entity a child references. */
function addForeignEntityEndpoint<C extends EntityContext>(
  router: Router<Handler<C>>,
  child: Dao,
  parent: Dao,
  field: string,
  inferFor: Infer,
): void {
  const param = child.schema.name
  const load = async (req: AdminRequest): Promise<Row | null> =>
    child.selectByKey(entityKey(child.schema, req.params[param]))
  const ref = (row: Row): string | undefined => (row[field] as { id?: string } | null)?.id

  router.add(`/${child.schema.apiName}/:${param}/${field}`, {
    GET: async (req) => {
      const row = await load(req)
      const id = row && ref(row)
      if (!id) return notFound()
      const entity = await parent.select(id)
      return entity ? ok(entity) : notFound()
    },
    PUT: async (req) => {
      const row = await load(req)
      if (!row) return notFound()
      const id = ref(row)
      const body = await inferFor(req, parent, { id: id ?? '' })
      if (id) return ok(await parent.upsert({ id }, body))
      // No parent yet: create one and link the child to it.
      const entity = await parent.upsert({ id: randomUUID() }, body)
      await child.update({ id: String(row.id) }, { [field]: { id: entity.id } })
      return ok(entity)
    },
    PATCH: async (req) => {
      const row = await load(req)
      const id = row && ref(row)
      if (!id) return notFound()
      const body = await inferFor(req, parent, { id })
      return ok(await parent.update({ id }, body))
    },
    DELETE: async (req) => {
      const row = await load(req)
      if (!row || !ref(row)) return notFound()
      return { status: 405, body: { message: 'Method not allowed' } }
    },
  })
}

/** `/services/{s}/routes` and `/services/{s}/routes/{r}`. */
function addNestedEndpoints<C extends EntityContext>(
  router: Router<Handler<C>>,
  child: Dao,
  parent: Dao,
  field: string,
  inferFor: Infer,
): void {
  const pParam = parent.schema.name
  const cParam = child.schema.name
  const nested = child.schema.admin_api_nested_name ?? child.schema.apiName
  const base = `/${parent.schema.apiName}/:${pParam}/${nested}`
  const loadParent = (req: AdminRequest): Promise<Row | null> =>
    parent.selectByKey(entityKey(parent.schema, req.params[pParam]))

  const nestedKey = child.schema.admin_api_nested_key
  /** What `{c}` names: an id or endpoint key, or the parent's child with that `nestedKey` value (null: none). */
  const childKey = async (req: AdminRequest, p: Row): Promise<EntityKey | null> => {
    const segment = req.params[cParam]
    if (!nestedKey || isUuid(segment)) return entityKey(child.schema, segment)
    const row = await child.selectByCacheKey({ [field]: { id: p.id }, [nestedKey]: segment })
    return row ? { id: String(row.id) } : null
  }

  /** The child, only if it exists and belongs to the parent. */
  const loadChild = async (req: AdminRequest, p: Row): Promise<Row | null> => {
    const key = await childKey(req, p)
    if (key === null) return null
    const c = await child.selectByKey(key)
    if (!c) return null
    return (c[field] as { id?: string } | null)?.id === p.id ? c : null
  }

  router.add(base, {
    GET: async (req) => {
      const p = await loadParent(req)
      if (!p) return notFound()
      const page = await child.pageFor(field, String(p.id), {
        size: pageSize(req.query),
        offset: pageOffset(req.query),
      })
      const next = page.offset
        ? `/${parent.schema.apiName}/${req.params[pParam]}/${nested}?${nextQuery(page.offset)}`
        : null
      return ok({ data: page.data, ...(page.offset ? { offset: page.offset } : {}), next })
    },
    POST: async (req) => {
      const p = await loadParent(req)
      if (!p) return notFound()
      const body = await inferFor(req, child)
      body[field] = { id: p.id }
      const ttl = takeTtl(child.schema, body)
      return created(await child.insert(body, { ttl }))
    },
  })

  router.add(`${base}/:${cParam}`, {
    GET: async (req) => {
      const p = await loadParent(req)
      if (!p) return notFound()
      const c = await loadChild(req, p)
      return c ? ok(c) : notFound()
    },
    PUT: async (req): Promise<AdminResponse> => {
      const p = await loadParent(req)
      if (!p) return notFound()
      const segment = req.params[cParam]
      const key = (await childKey(req, p)) ?? { id: randomUUID() }
      const body = await inferFor(req, child, key)
      body[field] = { id: p.id }
      if (nestedKey && !isUuid(segment) && body[nestedKey] === undefined) body[nestedKey] = segment
      const ttl = takeTtl(child.schema, body)
      return ok(await child.upsert(key, body, { ttl }))
    },
    PATCH: async (req) => {
      const p = await loadParent(req)
      if (!p) return notFound()
      const key = await childKey(req, p)
      if (key === null) return notFound()
      const body = await inferFor(req, child, key)
      if (body[field] === undefined) body[field] = { id: p.id }
      const c = await loadChild(req, p)
      if (!c) return notFound()
      const ttl = takeTtl(child.schema, body)
      return ok(await child.update({ id: String(c.id) }, body, { ttl }))
    },
    DELETE: async (req) => {
      const p = await loadParent(req)
      if (!p) return notFound()
      const c = await loadChild(req, p)
      if (!c) return notFound()
      await child.delete({ id: String(c.id) })
      return noContent()
    },
  })
}
