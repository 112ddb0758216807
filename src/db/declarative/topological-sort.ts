// The order in which Kong lists entity types (`schema_topological_sort`): an entity comes after
// every entity it references; otherwise plugin-owned entities come after core ones and names are
// alphabetical. The declarative loader walks collections in this order, which decides which of
// two duplicates is "the second one", the order of flattened rows and the order of exports.
import type { EntitySchema } from '../schema/entity.js'

/** Kong's CORE_ENTITIES (workspaces ranks before every other entity). */
const CORE_ENTITIES: ReadonlySet<string> = new Set([
  'workspaces',
  'consumers',
  'certificates',
  'services',
  'routes',
  'snis',
  'upstreams',
  'targets',
  'plugins',
  'tags',
  'ca_certificates',
  'clustering_data_planes',
  'parameters',
  'vaults',
  'key_sets',
  'keys',
  'filter_chains',
])

function score(name: string): number {
  if (name === 'workspaces') return 2
  return CORE_ENTITIES.has(name) ? 1 : 0
}

/**
 * Sorts schemas so that referenced entities come first. Throws on reference cycles. The
 * algorithm is Kong's (a depth-first search over a pre-sorted list that prepends finished
 * nodes), so ties resolve exactly as in Kong: workspaces, core entities, plugin entities, each
 * group alphabetical unless references say otherwise.
 */
export function topologicalSort(schemas: readonly EntitySchema[]): EntitySchema[] {
  const byName = new Map(schemas.map((s) => [s.name, s]))
  const items = [...schemas].sort((a, b) => {
    const sa = score(a.name)
    const sb = score(b.name)
    if (sa !== sb) return sa - sb
    // Reverse alphabetical: prepending finished nodes turns it into alphabetical order.
    return a.name > b.name ? -1 : a.name < b.name ? 1 : 0
  })

  // For each schema, the schemas that reference it, in the order of `items`.
  const referencedBy = new Map<EntitySchema, EntitySchema[]>()
  for (const source of items) {
    for (const name of source.foreignFields) {
      const target = byName.get(source.fields[name].reference ?? '')
      if (!target) continue
      const list = referencedBy.get(target) ?? []
      list.push(source)
      referencedBy.set(target, list)
    }
  }

  const sorted: EntitySchema[] = []
  const visited = new Set<EntitySchema>()
  const marked = new Set<EntitySchema>()
  const visit = (current: EntitySchema): void => {
    if (visited.has(current)) return
    if (marked.has(current)) throw new Error('Cycle detected, cannot sort topologically')
    marked.add(current)
    for (const next of referencedBy.get(current) ?? []) visit(next)
    marked.delete(current)
    visited.add(current)
    sorted.unshift(current)
  }
  for (const item of items) visit(item)
  return sorted
}
