// The node's proxy-cache dictionaries, in the primary process: the functions workers call
// (kong.primary.call) and the Admin API endpoints reach the same entries.

import { nodeConf } from '../../conf/current.js'
import { parseSize } from '../../conf/index.js'
import { type CachedResponse, Dictionaries } from './store.js'

let dictionaries: Dictionaries | null = null

/** The dictionaries, sized by `mem_cache_size` (Kong's size of its `kong_db_cache` zone). */
export function nodeDictionaries(): Dictionaries {
  if (!dictionaries) {
    const size = parseSize(String(nodeConf()?.mem_cache_size ?? '128m')) ?? 128 * 1024 * 1024
    dictionaries = new Dictionaries(size)
  }
  return dictionaries
}

export interface FetchArgs {
  dictionary: string
  key: string
}

export interface StoreArgs extends FetchArgs {
  ttl: number
  entry: CachedResponse
}

function isFetch(args: unknown): args is FetchArgs {
  const a = args as FetchArgs | null
  return typeof a?.dictionary === 'string' && typeof a.key === 'string'
}

/** The primary-side functions of the plugin (see PluginDefinition.primary). */
export const primaryFunctions = {
  async fetch(_ctx: unknown, args: unknown): Promise<CachedResponse | null> {
    if (!isFetch(args)) throw new Error('fetch: expected {dictionary, key}')
    return nodeDictionaries().get(args.dictionary).get(args.key)
  },
  async store(_ctx: unknown, args: unknown): Promise<boolean> {
    const a = args as StoreArgs
    if (!isFetch(a) || typeof a.ttl !== 'number' || typeof a.entry?.body !== 'string')
      throw new Error('store: expected {dictionary, key, ttl, entry}')
    return nodeDictionaries().get(a.dictionary).set(a.key, a.entry, a.ttl)
  },
  async purge(_ctx: unknown, args: unknown): Promise<boolean> {
    if (!isFetch(args)) throw new Error('purge: expected {dictionary, key}')
    return nodeDictionaries().get(args.dictionary).delete(args.key)
  },
}
