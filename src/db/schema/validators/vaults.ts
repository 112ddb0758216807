// Vault references and the vault `prefix` field.

/** `{vault://…}`: such values are resolved at runtime and not validated as PEM/JWK. */
export function isVaultReference(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('{vault://') && value.endsWith('}')
}

/** Vault implementations bundled with Silverback (Kong OSS bundles only `env`). */
export const BUNDLED_VAULTS: readonly string[] = ['env']

/**
 * A vault `prefix`: it becomes the host part of `{vault://<prefix>/…}` references, hence
 * lowercase letters, digits and dashes, starting with a letter and ending with a letter or
 * digit (at least 2 characters). It must not shadow the name of a vault implementation.
 */
export function validateVaultPrefix(
  prefix: string,
  vaultNames: readonly string[] = BUNDLED_VAULTS,
): string | undefined {
  if (vaultNames.includes(prefix)) return `must not be one of: ${vaultNames.join(', ')}`
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(prefix)) return `invalid value: ${prefix}`
  return undefined
}
