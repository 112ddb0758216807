// The decision of the acl plugin (plugins.md §6.7), kept free of the PDK so it can be tested alone.
import type { Row } from '../../pdk/types.js'

/** Allowed (with the groups header value) or blocked. */
export type Verdict = { blocked: true } | { blocked: false; header: string }

const BLOCKED: Verdict = { blocked: true }

export interface AclConf {
  /** `deny` is configured (non-empty): listed groups are blocked; otherwise listed groups are allowed. */
  deny: boolean
  groups: readonly string[]
  hideGroupsHeader: boolean
  alwaysUseAuthenticatedGroups: boolean
  /** Verdicts per consumer group list, keyed by the (cached) list of `acls` rows. */
  verdicts: WeakMap<readonly Row[], Verdict>
}

export interface AclConfig {
  allow: string[] | null
  deny: string[] | null
  hide_groups_header: boolean
  always_use_authenticated_groups: boolean
}

export function prepareAcl(config: AclConfig): AclConf {
  const deny = (config.deny?.length ?? 0) > 0
  return {
    deny,
    groups: (deny ? config.deny : config.allow) ?? [],
    hideGroupsHeader: config.hide_groups_header === true,
    alwaysUseAuthenticatedGroups: config.always_use_authenticated_groups === true,
    verdicts: new WeakMap(),
  }
}

/** Whether a request whose groups are `names` passes, and the header value it sends upstream. */
export function verdict(conf: AclConf, names: readonly string[]): Verdict {
  let inGroup = false
  for (const g of conf.groups) {
    if (names.includes(g)) {
      inGroup = true
      break
    }
  }
  if (conf.deny ? inGroup : !inGroup) return BLOCKED
  return { blocked: false, header: conf.hideGroupsHeader ? '' : names.join(', ') }
}

/** The verdict for a consumer's `acls` rows, computed once per cached row list. */
export function consumerVerdict(conf: AclConf, rows: readonly Row[]): Verdict {
  let v = conf.verdicts.get(rows)
  if (v === undefined) {
    const names: string[] = []
    for (const row of rows) if (typeof row.group === 'string') names.push(row.group)
    v = verdict(conf, names)
    conf.verdicts.set(rows, v)
  }
  return v
}

/**
 * Groups set by another plugin in `kong.ctx.shared.authenticated_groups` (LDAP, session, OIDC...):
 * the strings of the array; null when unset; `invalid` when set to something else than an array.
 */
export function authenticatedGroups(value: unknown): string[] | null | 'invalid' {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value)) return 'invalid'
  const out: string[] = []
  for (const g of value) if (typeof g === 'string') out.push(g)
  return out
}

/** The id of the authenticated consumer, or of the consumer of the authenticated credential. */
export function currentConsumerId(consumer: Row | null, credential: Row | null): string | null {
  const id = consumer?.id
  if (typeof id === 'string') return id
  const ref = credential?.consumer as { id?: unknown } | null | undefined
  if (typeof ref?.id === 'string') return ref.id
  const legacy = credential?.consumer_id
  return typeof legacy === 'string' ? legacy : null
}
