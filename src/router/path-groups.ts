// Route splitting by path groups (router.md §4, Kong's transform.lua
// split_routes_and_services_by_path): a route whose paths mix kinds becomes one matcher per
// group, each with its own priority but all pointing to the same route.
import { uuidV5Factory } from './uuid-v5.js'

/** One path group: all regex paths, or all prefix paths of one byte length. */
export interface PathGroup {
  readonly regex: boolean
  /** Byte length of the prefix paths (0 for the regex group). */
  readonly length: number
  /** Paths in their configured order (the first that matches gives matchedPath/captures). */
  readonly paths: readonly string[]
}

export function isRegexPath(path: string): boolean {
  return path.charCodeAt(0) === 0x7e // '~'
}

/** Byte length as Lua's `#` counts it (prefix lengths are UTF-8 byte counts). */
export function byteLength(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8')
  return s.length
}

/** Groups paths by kind, in order of first appearance (Kong's group_by_regex_or_length). */
export function groupPaths(paths: readonly string[]): PathGroup[] {
  if (paths.length === 1) {
    const regex = isRegexPath(paths[0])
    return [{ regex, length: regex ? 0 : byteLength(paths[0]), paths }]
  }
  const groups: Array<{ regex: boolean; length: number; paths: string[] }> = []
  const byKey = new Map<number, number>()
  for (const path of paths) {
    const regex = isRegexPath(path)
    // Key 0 is free for the regex group: prefix paths start with '/', so their length is ≥ 1.
    const length = regex ? 0 : byteLength(path)
    const index = byKey.get(length)
    if (index === undefined) {
      byKey.set(length, groups.length)
      groups.push({ regex, length, paths: [path] })
    } else {
      groups[index].paths.push(path)
    }
  }
  return groups
}

// Kong derives the ids of split routes from the original id, so the id tie-break (router.md
// §5.1 rule 7) compares these derived ids, not the route id.
const splitId = uuidV5Factory('7f145bf9-0dce-4f91-98eb-debbce4b9f6b')

/** Id of the `index`-th group (0-based) of a split route: uuid_v5(ns, "<route id>#<index+1>"). */
export function splitMatcherId(routeId: string, index: number): string {
  return splitId(`${routeId}#${index + 1}`)
}
