// acl (plugins.md §6.7): lets a request through, or not, by the groups of its consumer (the
// `acls` entity, looked up through the node cache and invalidated when they change) or the groups
// another plugin authenticated (`kong.ctx.shared.authenticated_groups`).
import type { Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { acls } from './daos.js'
import {
  type AclConf,
  authenticatedGroups,
  consumerVerdict,
  currentConsumerId,
  prepareAcl,
  type Verdict,
  verdict,
} from './groups.js'
import { migrations } from './migrations.js'
import schema from './schema.js'

const CONSUMER_GROUPS = 'X-Consumer-Groups'
const AUTHENTICATED_GROUPS = 'X-Authenticated-Groups'
const BLOCKED_MESSAGE = 'You cannot consume this service'

function groupsOfContext(kong: Kong): string[] | null {
  const groups = authenticatedGroups(kong.ctx.shared.authenticated_groups)
  if (groups !== 'invalid') return groups
  kong.log.warn('invalid authenticated_groups, a table was expected')
  return null
}

/** Nobody to decide about: 401 when nobody authenticated, 403 when a credential did. */
function unidentified(kong: Kong): void {
  if (kong.client.getCredential()) kong.response.error(403, BLOCKED_MESSAGE)
  else kong.response.error(401)
}

async function decide(conf: AclConf, kong: Kong): Promise<void> {
  const credential = kong.client.getCredential()
  const consumerId = currentConsumerId(kong.client.getConsumer(), credential)
  let v: Verdict
  let header = AUTHENTICATED_GROUPS
  if (consumerId === null) {
    const groups = groupsOfContext(kong)
    if (groups === null) return unidentified(kong)
    v = verdict(conf, groups)
  } else {
    // Authenticated groups override an anonymous consumer's groups (or any, when configured).
    const groups = !credential || conf.alwaysUseAuthenticatedGroups ? groupsOfContext(kong) : null
    if (groups !== null) v = verdict(conf, groups)
    else {
      const rows = await kong.cache.selectAllFor('acls', 'consumer', consumerId)
      if (rows.length === 0 && !conf.deny) return unidentified(kong)
      v = consumerVerdict(conf, rows)
      header = CONSUMER_GROUPS
    }
  }
  if (v.blocked) return kong.response.error(403, BLOCKED_MESSAGE)
  if (conf.hideGroupsHeader) return
  // Kong sets the joined names; an empty value removes the header.
  if (v.header === '') kong.service.request.clearHeader(header)
  else kong.service.request.setHeader(header, v.header)
}

export default definePlugin(
  schema,
  {
    priority: 950,
    version: KONG_COMPAT_VERSION,
    prepare: prepareAcl,
    access: decide,
  },
  { entities: [{ schema: acls }], migrations },
)
