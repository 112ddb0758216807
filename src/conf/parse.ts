// kong.conf file syntax (spec cli-and-conf.md §2.2):
//   name = value        one per line; name and value trimmed; blank lines ignored
//   # comment           whole-line or trailing; `\#` is a literal `#` inside a value
//   name =              empty value: unsets the property
// Values are never quoted (quotes are literal). A later line for the same name wins.
//
// `.kong_env` (written by env-file.ts) uses the same syntax with three more escapes, `\\`, `\n` and
// `\r`, so that values holding PEM certificates or inline declarative configuration survive the round
// trip. Those escapes are only decoded in `kong_env` mode: in a user's file a backslash is literal
// (`C:\new` stays as written), as in Kong.

export interface ConfEntry {
  name: string
  value: string
  /** 1-based line number, for messages. */
  line: number
}

export interface ParsedConfText {
  entries: ConfEntry[]
  /** Non-blank, non-comment lines without `=`, or with nothing before it. */
  invalid: { line: number; text: string }[]
}

export type EscapeMode = 'kong' | 'kong_env'

export function parseConfText(text: string, mode: EscapeMode = 'kong'): ParsedConfText {
  const entries: ConfEntry[] = []
  const invalid: { line: number; text: string }[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const eq = trimmed.indexOf('=')
    const name = eq === -1 ? '' : trimmed.slice(0, eq).trim()
    if (name === '') {
      invalid.push({ line: i + 1, text: trimmed })
      continue
    }
    const raw = trimmed.slice(eq + 1)
    const value = mode === 'kong' ? decodeKongValue(raw) : decodeKongEnvValue(raw)
    entries.push({ name, value, line: i + 1 })
  }
  return { entries, invalid }
}

/** Kong's rule: drop from the first `#` not preceded by `\` (and the blanks before it), then `\#` → `#`. */
export function decodeKongValue(raw: string): string {
  let end = raw.length
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '#' && raw[i - 1] !== '\\') {
      end = i
      break
    }
  }
  return raw.slice(0, end).trim().replaceAll('\\#', '#')
}

const KONG_ENV_ESCAPES: Record<string, string> = { '\\': '\\', '#': '#', n: '\n', r: '\r' }

/** `.kong_env` values: escapes decoded left to right, an unescaped `#` starts a comment. */
export function decodeKongEnvValue(raw: string): string {
  // Find the comment start on the escaped text, so that `\\#` (a backslash, then a comment) and
  // `\#` (a literal #) are told apart.
  let end = raw.length
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') i++
    else if (raw[i] === '#') {
      end = i
      break
    }
  }
  const body = raw.slice(0, end).trim()
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    const next = body[i + 1]
    if (c === '\\' && next !== undefined && next in KONG_ENV_ESCAPES) {
      out += KONG_ENV_ESCAPES[next]
      i++
    } else {
      out += c
    }
  }
  return out
}

/** Inverse of decodeKongEnvValue. */
export function encodeKongEnvValue(value: string): string {
  return value.replace(/[\\#\n\r]/g, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    return '\\' + c
  })
}

/** A list value: comma-separated, items trimmed, empty items dropped (`a, b ,,c` → a, b, c). */
export function splitList(text: string): string[] {
  const items: string[] = []
  for (const item of text.split(',')) {
    const trimmed = item.trim()
    if (trimmed !== '') items.push(trimmed)
  }
  return items
}
