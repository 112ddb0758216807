// Fast translation of the simple regexes most route paths use (`/users/(?<id>\d+)$`) into
// JavaScript, without the full PCRE parser of src/util/pcre.ts, which costs tens of µs per
// pattern and dominated the build of regex-heavy configurations.
//
// Accepted subset (anything else returns undefined and goes through translatePcre):
//   literals [A-Za-z0-9] and / _ ~ % ! & ' , ; = @ : - " # < > and space; `\d \D \w \W`;
//   backslash before a syntax character; `.` (emitted as `[^\n]`, PCRE's `.`); `^ $ |`;
//   groups `( )`, `(?: )`, `(?<name> )`, `(?P<name> )`; quantifiers `* + ? {n} {n,} {n,m}`,
//   optionally lazy; classes of literals, `a-z` ranges and `\d \w`.
// Within this subset PCRE (as translatePcre renders it: ASCII `\d`/`\w`, `$` only at the very
// end) and JavaScript's `u` mode agree; router tests cross-check both translations.

const LITERAL = /[A-Za-z0-9/_~%!&',;=@:\-"#<> ]/
const CLASS_LITERAL = /[A-Za-z0-9/_~%!&',;=@:."#<> ]/
const ALNUM = /[A-Za-z0-9]/
const SYNTAX = '^$\\.*+?()[]{}|/'
const NAMED_GROUP = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]{0,31})>/
const BRACES = /^\{(\d{1,4})(,(\d{1,4})?)?\}/

/** Translates a class starting at `p[i] === '['`; returns [source, next index] or undefined. */
function simpleClass(p: string, i: number): [string, number] | undefined {
  let j = i + 1
  let out = '['
  if (p[j] === '^') {
    out += '^'
    j++
  }
  if (p[j] === ']') return undefined // a leading `]` is literal in PCRE, an empty class in JS
  let prevLiteral = ''
  for (; j < p.length && p[j] !== ']'; j++) {
    const c = p[j]
    if (c === '\\') {
      const e = p[j + 1]
      if (e === undefined || !'dDwW'.includes(e)) return undefined
      out += `\\${e}`
      j++
      prevLiteral = ''
    } else if (c === '-') {
      const next = p[j + 1]
      if (next === ']') {
        out += '\\-'
      } else {
        // A range between two alphanumerics, in order.
        if (!ALNUM.test(prevLiteral) || next === undefined || !ALNUM.test(next) || next < prevLiteral)
          return undefined
        out += `-${next}`
        j++
      }
      prevLiteral = ''
    } else if (CLASS_LITERAL.test(c)) {
      out += c === '/' ? '\\/' : c
      prevLiteral = c
    } else {
      return undefined
    }
  }
  if (j >= p.length) return undefined
  return [`${out}]`, j + 1]
}

export function translateSimple(p: string): { source: string; flags: string } | undefined {
  let out = ''
  let depth = 0
  // Whether the previous item can take a quantifier.
  let atom = false
  const names = new Set<string>()
  let i = 0
  while (i < p.length) {
    const c = p[i]
    if (c === '\\') {
      const e = p[i + 1]
      if (e === undefined || !('dDwW'.includes(e) || SYNTAX.includes(e))) return undefined
      out += `\\${e}`
      i += 2
      atom = true
    } else if (c === '.') {
      out += '[^\\n]'
      i++
      atom = true
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (!atom) return undefined
      if (c === '{') {
        const m = BRACES.exec(p.slice(i, i + 12))
        if (!m || (m[3] !== undefined && Number(m[3]) < Number(m[1]))) return undefined
        out += m[0]
        i += m[0].length
      } else {
        out += c
        i++
      }
      if (p[i] === '?') {
        out += '?'
        i++
      }
      // Possessive (`*+`) or stacked quantifiers are PCRE-only.
      if (p[i] === '*' || p[i] === '+' || p[i] === '?' || p[i] === '{') return undefined
      atom = false
    } else if (c === '(') {
      if (p[i + 1] === '?') {
        if (p[i + 2] === ':') {
          out += '(?:'
          i += 3
        } else {
          const m = NAMED_GROUP.exec(p.slice(i, i + 40))
          if (!m || names.has(m[1])) return undefined
          names.add(m[1])
          out += `(?<${m[1]}>`
          i += m[0].length
        }
      } else {
        out += '('
        i++
      }
      depth++
      atom = false
    } else if (c === ')') {
      if (depth === 0) return undefined
      depth--
      out += ')'
      i++
      atom = true
    } else if (c === '|' || c === '^' || c === '$') {
      out += c
      i++
      atom = false
    } else if (c === '[') {
      const cls = simpleClass(p, i)
      if (!cls) return undefined
      out += cls[0]
      i = cls[1]
      atom = true
    } else if (LITERAL.test(c)) {
      out += c === '/' ? '\\/' : c
      i++
      atom = true
    } else {
      return undefined
    }
  }
  if (depth !== 0) return undefined
  try {
    new RegExp(out, 'u')
  } catch {
    return undefined
  }
  return { source: out, flags: 'u' }
}
