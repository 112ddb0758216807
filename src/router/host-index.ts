// The router's index: matchers bucketed by host, then by path (a prefix tree per bucket, or a
// short list for small buckets), so a request only evaluates matchers that can match its host
// and path. Entries are keyed by their prefix path, regex entries by the literal text their
// regexes start with (`~/api/v\d+` under `/api/v`), path-less entries by ''.
//
//   exact    Map host → bucket         route hosts without wildcard (port checked separately)
//   suffix   `*.example.com` buckets   request host ends with `.example.com`
//   prefix   `example.*` buckets       request host starts with `example.`
//   noHost   one bucket                routes without hosts
//
// A matcher with several hosts sits in several buckets (the same entry objects are shared).
import { HOST_EXACT, HOST_SUFFIX, type RouteHost } from './host.js'
import {
  ENTRY_NO_PATH,
  ENTRY_PREFIX,
  ENTRY_REGEX,
  IndexEntry,
  type Matcher,
  noPathResult,
  prefixResult,
} from './matcher.js'
import { RadixTree } from './radix.js'
import { regexLiteralPrefix } from './regex.js'
import type { Slicer, Steps } from './slicer.js'
import type { RouterRoute } from './types.js'

/** Buckets with at most this many entries are scanned as a list instead of a tree. */
export const FLAT_BUCKET_LIMIT = 8

/** Tree inserts (and index additions) between two checks of the build's slicer, minus one. */
const INSERT_STRIDE_MASK = 63

const NO_KEYS: string[] = []
const NO_ENTRIES: IndexEntry<RouterRoute>[] = []

/**
 * The matchers of one host (or of no host), by path. Small buckets, the common case for
 * host-specific routes, stay flat lists: a few `startsWith` checks cost less than a tree
 * walk, and at 100k routes the trees' nodes would dominate build time and memory.
 */
export class HostBucket<R extends RouterRoute> {
  /**
   * Path keys and entries in rank order while flat; emptied when the tree is built. Start as
   * the shared empty lists (never written): most buckets get one entry, and a list made by its
   * first push would reserve room for 16 (a third of the index's memory at 10k hosts).
   */
  keys: string[] = NO_KEYS
  entries: IndexEntry<R>[] = NO_ENTRIES as IndexEntry<R>[]
  tree: RadixTree<IndexEntry<R>> | null = null
  /** Smallest rank in the bucket: a bucket is skipped when a better match is already known. */
  minRank = Number.POSITIVE_INFINITY

  addAll(keys: readonly string[], entries: readonly IndexEntry<R>[]): void {
    for (let i = 0; i < keys.length; i++) {
      if (this.entries.length === 0) {
        this.keys = [keys[i]]
        this.entries = [entries[i]]
      } else {
        this.keys.push(keys[i])
        this.entries.push(entries[i])
      }
      if (entries[i].rank < this.minRank) this.minRank = entries[i].rank
    }
  }

  /** Builds the prefix tree of a bucket that outgrew a flat list (call `large()` first). */
  *finalizeSteps(slicer: Slicer): Steps<void> {
    const tree = new RadixTree<IndexEntry<R>>()
    const keys = this.keys
    const entries = this.entries
    for (let i = 0; i < keys.length; i++) {
      tree.insert(keys[i], entries[i])
      if ((i & INSERT_STRIDE_MASK) === INSERT_STRIDE_MASK && slicer.due()) yield
    }
    yield* tree.finalizeSteps(slicer)
    this.tree = tree
    this.keys = NO_KEYS
    this.entries = NO_ENTRIES as IndexEntry<R>[]
  }

  /** The bucket gets a prefix tree when finalized. */
  large(): boolean {
    return this.entries.length > FLAT_BUCKET_LIMIT
  }
}

/** A wildcard bucket with its host fragment, for scans with endsWith/startsWith. */
export interface WildcardBucket<R extends RouterRoute> {
  readonly value: string
  readonly bucket: HostBucket<R>
}

/** Up to this many wildcard buckets of a kind are scanned; more are looked up per dot. */
export const WILDCARD_SCAN_LIMIT = 8

function commonPrefix(a: string, b: string): string {
  let i = 0
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return a.slice(0, i)
}

export class HostIndex<R extends RouterRoute> {
  readonly exact = new Map<string, HostBucket<R>>()
  readonly noHost = new HostBucket<R>()
  /** All suffix buckets, and those reachable by a per-dot lookup (value starts with '.'). */
  readonly suffixes: WildcardBucket<R>[] = []
  readonly suffixByValue = new Map<string, HostBucket<R>>()
  /** Suffix values not starting with '.' (invalid in Kong's schema): always scanned. */
  readonly oddSuffixes: WildcardBucket<R>[] = []
  readonly prefixes: WildcardBucket<R>[] = []
  readonly prefixByValue = new Map<string, HostBucket<R>>()
  readonly oddPrefixes: WildcardBucket<R>[] = []

  private bucket(map: Map<string, HostBucket<R>>, value: string, list?: WildcardBucket<R>[]): HostBucket<R> {
    let b = map.get(value)
    if (b === undefined) {
      b = new HostBucket<R>()
      map.set(value, b)
      list?.push({ value, bucket: b })
    }
    return b
  }

  private bucketFor(h: RouteHost): HostBucket<R> {
    if (h.kind === HOST_EXACT) return this.bucket(this.exact, h.value)
    if (h.kind === HOST_SUFFIX) {
      const b = this.bucket(this.suffixByValue, h.value, this.suffixes)
      if (!h.value.startsWith('.') && !this.oddSuffixes.some((w) => w.bucket === b)) {
        this.oddSuffixes.push({ value: h.value, bucket: b })
      }
      return b
    }
    const b = this.bucket(this.prefixByValue, h.value, this.prefixes)
    if (!h.value.endsWith('.') && !this.oddPrefixes.some((w) => w.bucket === b)) {
      this.oddPrefixes.push({ value: h.value, bucket: b })
    }
    return b
  }

  /**
   * Adds a matcher to the buckets of its hosts (each once; the entries are shared). Must be
   * called in evaluation order (ascending rank): each tree node then holds its entries already
   * sorted, which the search relies on to stop early.
   */
  add(m: Matcher<R>): void {
    const keys: string[] = []
    const entries: IndexEntry<R>[] = []
    if (m.regexGroup) {
      // One entry for the whole group, at the prefix all its regexes share: the regexes are
      // tried in configured order, the first match gives matchedPath and captures.
      let key = regexLiteralPrefix(m.paths[0].slice(1))
      for (let i = 1; i < m.paths.length; i++)
        key = commonPrefix(key, regexLiteralPrefix(m.paths[i].slice(1)))
      keys.push(key)
      entries.push(new IndexEntry(m, ENTRY_REGEX, null))
    } else if (m.paths.length > 0) {
      for (const p of m.paths) {
        if (keys.includes(p)) continue
        keys.push(p)
        entries.push(new IndexEntry(m, ENTRY_PREFIX, prefixResult(m.route, p)))
      }
    } else {
      keys.push('')
      entries.push(new IndexEntry(m, ENTRY_NO_PATH, noPathResult(m.route)))
    }
    const hosts = m.hosts
    if (hosts === null) {
      this.noHost.addAll(keys, entries)
      return
    }
    const done: HostBucket<R>[] = []
    for (const h of hosts) {
      const b = this.bucketFor(h)
      if (done.includes(b)) continue
      done.push(b)
      b.addAll(keys, entries)
    }
  }

  /**
   * Adds matchers in evaluation order (see `add`), then builds the prefix trees of the large
   * buckets; checks the slicer every few matchers and tree nodes.
   */
  *buildSteps(matchers: readonly Matcher<R>[], slicer: Slicer): Steps<void> {
    for (let i = 0; i < matchers.length; i++) {
      this.add(matchers[i])
      if ((i & INSERT_STRIDE_MASK) === INSERT_STRIDE_MASK && slicer.due()) yield
    }
    let n = 0
    for (const b of this.buckets()) {
      if (b.large()) {
        yield* b.finalizeSteps(slicer)
        // Trees of a few entries never reach the strides inside.
        if (slicer.due()) yield
      } else if ((++n & 1023) === 0 && slicer.due()) yield
    }
  }

  private *buckets(): Generator<HostBucket<R>, void, void> {
    yield* this.exact.values()
    for (const w of this.suffixes) yield w.bucket
    for (const w of this.prefixes) yield w.bucket
    yield this.noHost
  }
}
