// What the DAO does to an entity on write, applied to flattened rows so that they are what the
// DAO would store. Only the store-independent parts apply (input rewrites, transient fields,
// Kong's transformations); the hooks that query the store (SNI ownership, plugin/route protocol
// checks) have no equivalent for a document that replaces the whole configuration.

import { withoutTransient } from '../dao/dao.js'
import { CORE_HOOKS } from '../dao/index.js'
import type { EntitySchema } from '../schema/entity.js'
import type { Row } from '../strategies/strategy.js'

/**
 * Returns the row as the DAO would store it: input rewrites (targets normalized with the default
 * port 8000), transient fields dropped, and, when `_transform` is on, the entity's
 * transformations (a CA certificate's digest).
 */
export function applyWriteBehaviour(schema: EntitySchema, row: Row, transform: boolean): Row {
  const hooks = CORE_HOOKS[schema.name]
  let out = hooks?.prepareInput ? hooks.prepareInput(row, 'insert') : row
  out = withoutTransient(schema, out)
  if (transform && hooks?.transformations) out = hooks.transformations(out)
  return out
}
