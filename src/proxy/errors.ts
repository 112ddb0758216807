// Gateway-generated error responses (Kong's error templates): the body format follows the
// request's Accept header (or its Content-Type, then `error_default_type`, for protocol-level
// errors); gRPC requests get `grpc-status`/`grpc-message` instead of a body.
import { readFileSync } from 'node:fs'

export type ErrorFormat = 'json' | 'html' | 'xml' | 'plain'

export const CONTENT_TYPES: Record<ErrorFormat, string> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  plain: 'text/plain; charset=utf-8',
}

const DEFAULT_TEMPLATES: Record<ErrorFormat, string> = {
  json: '{\n  "message":"%s",\n  "request_id":"%s"\n}',
  html:
    '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n' +
    '  <body>\n    <h1>Error</h1>\n    <p>%s.</p>\n    <p>request_id: %s</p>\n  </body>\n</html>\n',
  xml: '<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>%s</message>\n  <requestid>%s</requestid>\n</error>\n',
  plain: '%s\nrequest_id: %s\n',
}

/** Default messages of `kong.response.error(status)` and the protocol-level error page. */
export const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  407: 'Proxy authentication required',
  408: 'Request timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  417: 'Expectation failed',
  418: "I'm a teapot",
  421: 'Misdirected request',
  422: 'Unprocessable entity',
  423: 'Locked',
  424: 'Failed dependency',
  425: 'Too early',
  426: 'Upgrade required',
  428: 'Precondition required',
  429: 'Too many requests',
  431: 'Request header fields too large',
  451: 'Unavailable for legal reasons',
  494: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  501: 'Not implemented',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
  505: 'HTTP version not supported',
  506: 'Variant also negotiates',
  507: 'Insufficient storage',
  508: 'Loop detected',
  510: 'Not extended',
  511: 'Network authentication required',
}

export function statusMessage(status: number): string {
  return STATUS_MESSAGES[status] ?? `The upstream server responded with ${status}`
}

const TOKEN = '(?:[a-z0-9][a-z0-9\\-!#$&^_+.]+|\\*)'
const ACCEPT_RE = new RegExp(
  `^(${TOKEN}\\/${TOKEN})(?:\\s*;\\s*q=(1(?:\\.0{0,3})?|0(?:\\.\\d{0,3})?)|\\s*;\\s*[a-z0-9][a-z0-9\\-!#$&^_+.]+(?:=[^;]*)?)*`,
  'i',
)

function formatOf(mediaType: string): ErrorFormat | undefined {
  const [type, sub] = mediaType.toLowerCase().split('/')
  if (sub === '*') {
    if (type === '*') return 'json'
    if (type === 'application') return 'json'
    if (type === 'text') return 'plain'
    return undefined
  }
  switch (`${type}/${sub}`) {
    case 'application/json':
      return 'json'
    case 'text/html':
      return 'html'
    case 'application/xml':
      return 'xml'
    case 'text/plain':
      return 'plain'
    default:
      return undefined
  }
}

/** Kong's get_response_type: the entry with the strictly highest q wins; unknown types → JSON. */
export function responseFormat(accept: string | undefined, fallback: ErrorFormat = 'json'): ErrorFormat {
  if (accept === undefined) return fallback
  let format: ErrorFormat = 'json'
  let best = 0
  for (const part of accept.split(',')) {
    const m = ACCEPT_RE.exec(part.trim())
    if (!m) continue
    const q = m[2] !== undefined ? Number(m[2]) : 1
    if (q > best) {
      best = q
      format = formatOf(m[1]) ?? format
    }
  }
  return format
}

/** The format for protocol-level errors: Accept, else Content-Type, else error_default_type. */
export function lowLevelFormat(
  accept: string | undefined,
  contentType: string | undefined,
  defaultType: string,
): ErrorFormat {
  return responseFormat(accept ?? contentType ?? defaultType)
}

export function isGrpcRequest(contentType: string | undefined): boolean {
  return contentType?.startsWith('application/grpc') === true
}

const GRPC_STATUS: Readonly<Record<number, number>> = {
  200: 0,
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  409: 6,
  429: 8,
  499: 1,
  500: 13,
  501: 12,
  503: 14,
  504: 4,
}

const GRPC_MESSAGES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
]

export function grpcStatus(status: number): number {
  const mapped = GRPC_STATUS[status]
  if (mapped !== undefined) return mapped
  if (status >= 500 && status < 600) return 13
  if (status >= 400 && status < 500) return 3
  if (status >= 200 && status < 300) return 0
  return 2
}

export function grpcMessage(code: number): string {
  return GRPC_MESSAGES[code] ?? 'Unknown'
}

/** Error templates, with custom ones (`error_template_<format>`) loaded once per worker. */
export class ErrorTemplates {
  private readonly templates: Record<ErrorFormat, string>

  constructor(custom: Partial<Record<ErrorFormat, string | null>> = {}) {
    this.templates = { ...DEFAULT_TEMPLATES }
    for (const [format, path] of Object.entries(custom) as [ErrorFormat, string | null][]) {
      if (!path) continue
      try {
        this.templates[format] = readFileSync(path, 'utf8')
      } catch {
        // Kong logs and keeps the default template when a custom one cannot be read.
      }
    }
  }

  render(format: ErrorFormat, message: string, requestId: string): string {
    let i = 0
    return this.templates[format].replace(/%s/g, () => (i++ === 0 ? message : i === 2 ? requestId : '%s'))
  }
}
