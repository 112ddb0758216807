// Targets are stored normalized: IPv4 without leading zeros, IPv6 expanded and bracketed, and
// port 8000 appended when absent (`konghq.test` → `konghq.test:8000`).
import { normalizeTarget } from '../schema/validators/targets.js'
import type { EntityHooks } from './hooks.js'

export const targetHooks: EntityHooks = {
  prepareInput(input) {
    if (typeof input.target !== 'string') return input
    const n = normalizeTarget(input.target)
    // Invalid targets are left as sent: validation reports them.
    return 'target' in n ? { ...input, target: n.target } : input
  },
}
