// Types shared by the Admin API server and its endpoint modules, and the mapping of DAO errors to
// HTTP responses.
import type { IncomingHttpHeaders } from 'node:http'
import { DaoError, ERROR_CODES } from '../db/dao/errors.js'
import type { Method } from './router.js'

export type BodyKind = 'json' | 'form' | 'multipart' | 'yaml' | 'none'

export interface AdminRequest {
  method: Method
  /** Path without query string. */
  path: string
  /** Route parameters, percent-decoded. */
  params: Record<string, string>
  /** Decoded query arguments (not yet converted with a schema). */
  query: Record<string, unknown>
  /** Decoded body arguments: JSON as sent; forms and multipart decoded, not yet converted. */
  body: Record<string, unknown>
  bodyKind: BodyKind
  rawBody: Buffer
  headers: IncomingHttpHeaders
}

export interface AdminResponse {
  status: number
  /** JSON body (omitted for 204/304 and HEAD). */
  body?: unknown
  /** Non-JSON body, sent as is. */
  text?: string
  contentType?: string
  headers?: Record<string, string>
}

export type Handler<C> = (req: AdminRequest, ctx: C) => Promise<AdminResponse> | AdminResponse

export const ok = (body: unknown): AdminResponse => ({ status: 200, body })
export const created = (body: unknown): AdminResponse => ({ status: 201, body })
export const noContent = (): AdminResponse => ({ status: 204 })
export const notFound = (message = 'Not found'): AdminResponse => ({ status: 404, body: { message } })
export const methodNotAllowed = (): AdminResponse => ({
  status: 405,
  body: { message: 'Method not allowed' },
})
export const badRequest = (message: string): AdminResponse => ({ status: 400, body: { message } })
export const unexpected = (): AdminResponse => ({
  status: 500,
  body: { message: 'An unexpected error occurred' },
})

const STATUS_BY_CODE: Record<number, number> = {
  [ERROR_CODES.INVALID_PRIMARY_KEY]: 400,
  [ERROR_CODES.SCHEMA_VIOLATION]: 400,
  [ERROR_CODES.PRIMARY_KEY_VIOLATION]: 400,
  [ERROR_CODES.FOREIGN_KEY_VIOLATION]: 400,
  [ERROR_CODES.UNIQUE_VIOLATION]: 409,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.INVALID_OFFSET]: 400,
  [ERROR_CODES.DATABASE_ERROR]: 500,
  [ERROR_CODES.INVALID_SIZE]: 400,
  [ERROR_CODES.INVALID_UNIQUE]: 400,
  [ERROR_CODES.INVALID_OPTIONS]: 400,
  [ERROR_CODES.OPERATION_UNSUPPORTED]: 405,
  [ERROR_CODES.FOREIGN_KEYS_UNRESOLVED]: 400,
  [ERROR_CODES.DECLARATIVE_CONFIG]: 400,
  [ERROR_CODES.REFERENCED_BY_OTHERS]: 400,
}

/** The response for an error thrown by a handler; undefined when it must be a logged 500. */
export function errorResponse(err: unknown): AdminResponse | undefined {
  if (!(err instanceof DaoError)) return undefined
  const status = STATUS_BY_CODE[err.code]
  if (!status || status === 500) return undefined
  return { status, body: err.toJSON() }
}
