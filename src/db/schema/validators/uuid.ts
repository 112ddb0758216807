// UUID strings (primary keys, foreign keys, services.ca_certificates elements).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Any UUID version, either case (Kong does not check the version/variant nibbles). */
export function isUuid(s: string): boolean {
  return UUID.test(s)
}

export function validateUuid(s: string): string | undefined {
  return isUuid(s) ? undefined : 'expected a valid UUID'
}
