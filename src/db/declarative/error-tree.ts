// Error trees of declarative configurations. They mirror the input: collection → position →
// field …, with JSON arrays (null for valid elements) for positions. Kong builds them as Lua
// tables, where positions and names can share one table (a duplicate reported by position next
// to a broken reference reported by name); such a level becomes an object whose integer keys
// are 1-based positions and is remembered as "positional" so the renderers treat them as such.
import { MESSAGES } from '../schema/messages.js'

export type ErrorTree = string | ErrorList | ErrorMap
export type ErrorList = (ErrorTree | null)[]
export interface ErrorMap {
  [key: string]: ErrorTree
}

/** A path into the input document: names and 0-based array positions. */
export type Path = readonly (string | number)[]

const positionalMaps = new WeakSet<ErrorMap>()

/** Whether the integer keys of `map` are 1-based positions (see the file comment). */
export function isPositionalMap(map: ErrorMap): boolean {
  return positionalMaps.has(map)
}

const INTEGER_KEY = /^[1-9][0-9]*$/

/** The entries of a level: `[position (0-based number) | name, value]`, positions first. */
export function entriesOf(tree: ErrorList | ErrorMap): [number | string, ErrorTree][] {
  if (Array.isArray(tree)) {
    const out: [number, ErrorTree][] = []
    tree.forEach((v, i) => {
      if (v !== null && v !== undefined) out.push([i, v])
    })
    return out
  }
  const keys = Object.keys(tree)
  const positional = isPositionalMap(tree)
  const numbers = positional ? keys.filter((k) => INTEGER_KEY.test(k)) : []
  const names = keys.filter((k) => !numbers.includes(k)).sort(compareStrings)
  return [
    ...numbers
      .map(Number)
      .sort((a, b) => a - b)
      .map((n): [number, ErrorTree] => [n - 1, tree[String(n)]]),
    ...names.map((k): [string, ErrorTree] => [k, tree[k]]),
  ]
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function toPositionalMap(list: ErrorList): ErrorMap {
  const map: ErrorMap = {}
  list.forEach((v, i) => {
    if (v !== null && v !== undefined) map[String(i + 1)] = v
  })
  positionalMaps.add(map)
  return map
}

function isContainer(v: ErrorTree | null | undefined): v is ErrorList | ErrorMap {
  return typeof v === 'object' && v !== null
}

function getChild(level: ErrorList | ErrorMap, key: number | string): ErrorTree | null | undefined {
  if (typeof key === 'number') return Array.isArray(level) ? level[key] : level[String(key + 1)]
  return Array.isArray(level) ? undefined : level[key]
}

/** Sets a child; returns the level (replaced by a positional map when a name meets an array). */
function setChild(level: ErrorList | ErrorMap, key: number | string, value: ErrorTree): ErrorList | ErrorMap {
  if (typeof key === 'number') {
    if (Array.isArray(level)) {
      while (level.length < key) level.push(null)
      level[key] = value
      return level
    }
    level[String(key + 1)] = value
    positionalMaps.add(level)
    return level
  }
  const map = Array.isArray(level) ? toPositionalMap(level) : level
  map[key] = value
  return map
}

/**
 * Writes `value` at `path` in `root`, creating levels (arrays for positions, objects for names).
 * A message already at an intermediate level is replaced, as Kong overwrites its error tables.
 */
export function setAt(root: ErrorMap, path: Path, value: ErrorTree): void {
  const write = (level: ErrorList | ErrorMap, i: number): ErrorList | ErrorMap => {
    const key = path[i]
    if (i === path.length - 1) return setChild(level, key, value)
    const existing = getChild(level, key)
    const fresh: ErrorList | ErrorMap = typeof path[i + 1] === 'number' ? [] : {}
    const child = write(isContainer(existing) ? existing : fresh, i + 1)
    return setChild(level, key, child)
  }
  if (path.length === 0) throw new Error('empty error path')
  write(root, 0)
}

/** Kong's deep merge of two error tables: values of `b` win, nested levels merge. */
export function mergeTrees(a: ErrorTree, b: ErrorTree): ErrorTree {
  if (!isContainer(a) || !isContainer(b)) return b
  let out: ErrorList | ErrorMap = Array.isArray(a) && Array.isArray(b) ? [...a] : copyLevel(a)
  for (const [key, value] of entriesOf(b)) {
    const existing = getChild(out, key)
    out = setChild(
      out,
      key,
      existing === null || existing === undefined ? value : mergeTrees(existing, value),
    )
  }
  return out
}

function copyLevel(level: ErrorList | ErrorMap): ErrorMap {
  if (Array.isArray(level)) return toPositionalMap(level)
  const map: ErrorMap = { ...level }
  if (isPositionalMap(level)) positionalMaps.add(map)
  return map
}

/**
 * Keeps only the `value must be null` messages of a tree (Kong's `extract_null_errors`): those
 * are the errors of the first validation pass that the second pass cannot see, as it fills in
 * the foreign keys of nested entries.
 */
export function nullErrors(tree: ErrorTree): ErrorTree | undefined {
  const wanted = MESSAGES.EQ.replace('%s', 'null')
  if (typeof tree === 'string') return tree === wanted ? tree : undefined
  let out: ErrorList | ErrorMap | undefined
  for (const [key, value] of entriesOf(tree)) {
    const kept = nullErrors(value)
    if (kept === undefined) continue
    out ??= Array.isArray(tree) ? [] : isPositionalMap(tree) ? toPositionalMap([]) : {}
    out = setChild(out, key, kept)
  }
  return out
}

/**
 * The wire form of a tree: arrays without trailing nulls at any level. Kong's error tables are
 * Lua tables, which have no trailing empty positions; the schema engine pads its arrays.
 */
export function trimTree(tree: ErrorTree): ErrorTree {
  if (typeof tree === 'string') return tree
  if (Array.isArray(tree)) {
    const out = tree.map((v) => (v === null || v === undefined ? null : trimTree(v)))
    while (out.length > 0 && out[out.length - 1] === null) out.pop()
    return out
  }
  const map: ErrorMap = {}
  for (const [k, v] of Object.entries(tree)) map[k] = trimTree(v)
  if (isPositionalMap(tree)) positionalMaps.add(map)
  return map
}
