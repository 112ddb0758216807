// Header names and HTTP tokens (route `headers` keys, upstream `hash_on_header`,
// healthcheck headers, `hash_on_cookie`).

/** Kong's tools.http.validate_header_name: what nginx accepts as a header name. */
export function validateHeaderName(name: string): string | undefined {
  if (name === '') return 'no header name provided'
  if (/^[A-Za-z0-9_-]+$/.test(name)) return undefined
  return `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`
}

/** Keys of a route's `headers` map: the Host header is matched through `hosts` instead. */
export function validateRouteHeaderName(name: string): string | undefined {
  if (/^host$/i.test(name)) {
    return "cannot contain 'host' header, which must be specified in the 'hosts' attribute"
  }
  return validateHeaderName(name)
}

// RFC 7230 tchar: printable ASCII except space and the separators `()<>@,;:\"/?={}[]`; this is
// exactly what Kong's forbidden set (controls, DEL, bytes >= 0x80, separators) leaves.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Kong's validate_http_token (RFC 2616/7230 token), used for cookie names. */
export function validateHttpToken(token: string): string | undefined {
  if (token === '') return 'no token provided'
  if (TOKEN.test(token)) return undefined
  return (
    'contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the ' +
    'characters ()<>@,;:\\"/?={}[] are not allowed.'
  )
}

export const validateCookieName = validateHttpToken
