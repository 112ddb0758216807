// Visiting the entity objects of a document in Kong's order: collections in entity order at each
// level, elements in order, nested collections of an element before its next sibling. Values
// that are not arrays of objects are skipped (validation reports them).
import { isPlainObject } from '../schema/record.js'
import type { Path } from './error-tree.js'
import type { DeclarativeModel } from './model.js'

export interface ParentLink {
  entity: string
  item: Record<string, unknown>
  /** The child's foreign key field that references the parent. */
  foreignKey: string
}

export interface EntityVisit {
  entity: string
  item: Record<string, unknown>
  /** Where the item is in the document, e.g. `['services', 0, 'routes', 1]`. */
  path: Path
  parent?: ParentLink
}

export interface Visitor {
  /** Called before the item's nested collections. */
  enter?(visit: EntityVisit): void
  /** Called after them. */
  leave?(visit: EntityVisit): void
}

/** The collections present at one level: every entity at the top, the children inside one. */
function collectionsAt(model: DeclarativeModel, parent?: string): [string, string | undefined][] {
  if (parent === undefined) return model.order.map((e) => [e, undefined])
  return [...model.children(parent)].map(([child, fk]) => [child, fk])
}

function walkLevel(
  model: DeclarativeModel,
  container: Record<string, unknown>,
  path: Path,
  parent: { entity: string; item: Record<string, unknown> } | undefined,
  visitor: Visitor,
): void {
  for (const [entity, foreignKey] of collectionsAt(model, parent?.entity)) {
    const list = container[entity]
    if (!Array.isArray(list)) continue
    list.forEach((item, index) => {
      if (!isPlainObject(item)) return
      const visit: EntityVisit = { entity, item, path: [...path, entity, index] }
      if (parent && foreignKey) visit.parent = { entity: parent.entity, item: parent.item, foreignKey }
      visitor.enter?.(visit)
      walkLevel(model, item, visit.path, { entity, item }, visitor)
      visitor.leave?.(visit)
    })
  }
}

export function walkEntities(model: DeclarativeModel, doc: Record<string, unknown>, visitor: Visitor): void {
  walkLevel(model, doc, [], undefined, visitor)
}
