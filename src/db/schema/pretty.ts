// Renders values the way Kong's error messages print Lua tables (Penlight's pretty.write): keys
// sorted, `null` for JSON nulls. Compact form `{name="foo"}` is used in key-based messages
// (`UNIQUE violation detected on '{name="foo"}'`); the indented form appears in messages for
// errors nested more than one level deep.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

function quote(s: string): string {
  return JSON.stringify(s)
}

function key(k: string, isArray: boolean): string {
  if (isArray) return ''
  return IDENT.test(k) ? k : `[${quote(k)}]`
}

export function pretty(value: unknown, indent = ''): string {
  return write(value, indent, '')
}

function write(value: unknown, indent: string, current: string): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return quote(value)
  if (typeof value !== 'object') return String(value)
  const isArray = Array.isArray(value)
  const entries: [string, unknown][] = isArray
    ? (value as unknown[]).map((v, i) => [String(i + 1), v])
    : Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (entries.length === 0) return '{}'
  const sep = indent === '' ? '' : ' '
  const inner = current + indent
  const items = entries.map(([k, v]) => {
    const name = key(k, isArray)
    const rendered = write(v, indent, inner)
    return name ? `${name}${sep}=${sep}${rendered}` : rendered
  })
  if (indent === '') return `{${items.join(',')}}`
  return `{\n${items.map((i) => inner + i).join(',\n')}\n${current}}`
}
