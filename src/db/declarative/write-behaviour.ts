// What the DAO does to an entity on write, applied to flattened rows so that they are what the
// DAO would store. Only the store-independent parts apply (input rewrites, transient fields,
// Kong's transformations); the hooks that query the store (SNI ownership, plugin/route protocol
// checks) have no equivalent for a document that replaces the whole configuration.

import { withoutTransient } from '../dao/dao.js'
import type { EntityHooks } from '../dao/hooks.js'
import type { EntitySchema } from '../schema/entity.js'
import type { Row } from '../strategies/strategy.js'

/**
 * Returns the row as the DAO would store it: input rewrites (targets normalized with the default
 * port 8000), transient fields dropped, and, when `_transform` is on, the entity's
 * transformations (a CA certificate's digest, a basic-auth password's hash).
 */
export function applyWriteBehaviour(
  schema: EntitySchema,
  row: Row,
  transform: boolean,
  hooks: EntityHooks | undefined,
): Row {
  let out = hooks?.prepareInput ? hooks.prepareInput(row, 'insert') : row
  out = withoutTransient(schema, out)
  if (transform && hooks?.transformations) out = hooks.transformations(out)
  if (transform && hooks?.declarativeTransform) out = hooks.declarativeTransform(out)
  return out
}
