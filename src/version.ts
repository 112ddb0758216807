// Product identity. Silverback speaks Kong's wire contracts; clients that look at the version (Kong
// Manager, decK) see the Kong release we are compatible with, and our own version under its own key.
import { readFileSync } from 'node:fs'

function readOwnVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** Silverback's own version (package.json). */
export const VERSION = readOwnVersion()
/** The Kong Gateway release whose behaviour Silverback reproduces. */
export const KONG_COMPAT_VERSION = '3.9.1'
/** Product token used in `Server` and `Via` headers, in Kong's `name/version` form. */
export const SERVER_TOKEN = `silverback/${VERSION}`
export const PRODUCT_NAME = 'silverback'
