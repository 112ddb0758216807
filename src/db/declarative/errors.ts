// Errors of declarative configurations: unparseable text, or an error tree mirroring the input.
// They become code 14 bodies (`POST /config`), optionally with `flattened_errors`, or the
// indented text printed by `kong config parse` and at start-up.
import { DaoError, ERROR_CODES } from '../dao/errors.js'
import { type ErrorMap, trimTree } from './error-tree.js'
import { type FlattenedError, flattenErrors } from './flatten-errors.js'
import type { DeclarativeModel } from './model.js'
import { luaLiteral, prettyLines } from './render.js'

export type DeclarativeErrorKind = 'parse' | 'invalid'

export class DeclarativeError extends Error {
  /**
   * `parse`: the text could not be read (`fields` is `{error: <message>}`); `invalid`: the
   * document is not a valid configuration (`fields` mirrors the input).
   */
  readonly kind: DeclarativeErrorKind
  readonly fields: ErrorMap
  /**
   * The document the error tree mirrors (after the route path migration and, for reference
   * and uniqueness errors, with the generated ids), for `flattened_errors`.
   */
  readonly input?: Readonly<Record<string, unknown>>
  readonly model?: DeclarativeModel

  private constructor(
    kind: DeclarativeErrorKind,
    message: string,
    fields: ErrorMap,
    input?: Record<string, unknown>,
    model?: DeclarativeModel,
  ) {
    super(message)
    this.name = 'DeclarativeError'
    this.kind = kind
    this.fields = fields
    this.input = input
    this.model = model
  }

  /** Unreadable text: `failed parsing declarative configuration: …`, `unknown file type: …`. */
  static parse(message: string): DeclarativeError {
    return new DeclarativeError('parse', message, { error: message })
  }

  static invalid(
    fields: ErrorMap,
    input: Record<string, unknown>,
    model: DeclarativeModel,
  ): DeclarativeError {
    const wire = trimTree(fields) as ErrorMap
    return new DeclarativeError('invalid', invalidMessage(wire), wire, input, model)
  }
}

function invalidMessage(fields: ErrorMap): string {
  return `declarative config is invalid: ${luaLiteral(fields)}`
}

export function isDeclarativeError(err: unknown): err is DeclarativeError {
  return err instanceof DeclarativeError
}

/** The `POST /config` error body (admin-api.md §5, declarative.md §6). */
export interface DeclarativeErrorBody {
  code: 14
  name: string
  message: string
  fields: ErrorMap
  flattened_errors?: FlattenedError[]
}

/**
 * The code 14 body. With `flatten`, errors that belong to an input entity move to
 * `flattened_errors` (one entry per entity, nested entities included) and only the rest stays in
 * `fields` (and in `message`). Unparseable text never gets `flattened_errors`, as in Kong.
 */
export function declarativeErrorBody(
  err: DeclarativeError,
  opts: { flatten: boolean },
): DeclarativeErrorBody {
  let fields = err.fields
  let flattened: FlattenedError[] | undefined
  if (opts.flatten && err.kind === 'invalid' && err.input && err.model) {
    const res = flattenErrors(err.input, err.fields, err.model)
    fields = res.remaining
    flattened = res.flattened
  }
  const message = invalidMessage(fields)
  const body: DeclarativeErrorBody = {
    code: ERROR_CODES.DECLARATIVE_CONFIG,
    // The name comes from the DAO error table, shared with every other error code.
    name: new DaoError(ERROR_CODES.DECLARATIVE_CONFIG, message).errorName,
    message,
    fields,
  }
  if (flattened) body.flattened_errors = flattened
  return body
}

/**
 * The text printed by the CLI (`Failed parsing:\n<this>`) and at start-up: the message itself
 * for unreadable text, else the error tree one level per line.
 */
export function formatDeclarativeError(err: DeclarativeError): string {
  if (err.kind === 'parse') return err.message
  return prettyLines(err.fields).join('\n')
}
