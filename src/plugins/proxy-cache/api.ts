// proxy-cache's Admin API (plugins.md §6.18): purge the node's cache, or look up and delete one
// entry, in any dictionary or in the one of a given plugin instance.
import type { DB } from '../../db/dao/db.js'
import type { PluginApi } from '../definition.js'
import { nodeDictionaries } from './dictionaries.js'

const NOT_FOUND = { status: 404, body: { message: 'Not found' } }

/** The dictionary of a proxy-cache plugin instance, or null when there is no such plugin. */
async function dictionaryOf(ctx: { db: DB }, id: string) {
  let plugin: Record<string, unknown> | null = null
  try {
    plugin = await ctx.db.dao('plugins').select(id)
  } catch {
    return null // not a uuid
  }
  if (plugin?.name !== 'proxy-cache') return null
  const config = plugin.config as { memory?: { dictionary_name?: string } }
  return nodeDictionaries().get(config.memory?.dictionary_name ?? 'kong_db_cache')
}

export const api: PluginApi = {
  '/proxy-cache': {
    DELETE: () => {
      for (const d of nodeDictionaries().all()) d.purge()
      return { status: 204 }
    },
  },
  // (the router wants one name per position: `id` is the cache key here, a plugin id below)
  '/proxy-cache/:id': {
    GET: (req) => {
      for (const d of nodeDictionaries().all()) {
        const entry = d.get(req.params.id)
        if (entry) return { status: 200, body: entry }
      }
      return NOT_FOUND
    },
    DELETE: (req) => {
      let found = false
      for (const d of nodeDictionaries().all()) if (d.delete(req.params.id)) found = true
      return found ? { status: 204 } : NOT_FOUND
    },
  },
  '/proxy-cache/:id/caches/:cache_key': {
    GET: async (req, ctx) => {
      const d = await dictionaryOf(ctx, req.params.id)
      const entry = d?.get(req.params.cache_key)
      return entry ? { status: 200, body: entry } : NOT_FOUND
    },
    DELETE: async (req, ctx) => {
      const d = await dictionaryOf(ctx, req.params.id)
      return d?.delete(req.params.cache_key) ? { status: 204 } : NOT_FOUND
    },
  },
}
