// Translation of PCRE2 patterns (what Kong users write in regex route paths and some plugin
// settings) into JavaScript RegExp sources.
//
// The pattern is parsed with PCRE2's syntax rules and re-emitted for a `u`-flag RegExp:
//   * named groups `(?P<n>…)`, `(?'n'…)`, `(?<n>…)` → `(?<n>…)`; backreferences `\g{1}`,
//     `\g{-1}`, `\k{n}`, `(?P=n)` … → `\1` / `\k<n>`;
//   * inline options `(?i)`, `(?-i)`, `(?i:…)`, also `m s x xx n U`, anywhere in the pattern
//     (JavaScript only has pattern-wide flags, so scoped case-insensitivity is expanded into
//     `[aA]`-style classes; scoped `s`/`m` are rewritten into the `.`, `^`, `$` they affect);
//   * `\A`, `\z`, `\Z`, `\h`, `\v`, `\R`, `\N`, `\Q…\E`, `\x{…}`, `\o{…}`, octal escapes, `\cX`,
//     `\e`, POSIX classes (`[[:alpha:]]`, `[[:^digit:]]`) and `(?#…)` comments.
// Features JavaScript cannot run (possessive quantifiers, atomic groups, recursion and
// subroutine calls, conditionals, `\K`, `\G`, `\X`, `\C`, backtracking verbs, branch reset,
// duplicate names, callouts) are reported as `unsupported`. Malformed patterns are reported as
// `syntax` errors carrying PCRE2's own compile error text, so callers can build Kong's
// `pcre2_compile() failed: … in "…"` message.
//
// Semantics deliberately follow JavaScript where PCRE and JavaScript differ in ways irrelevant
// to URL paths: `\d`, `\w`, `\s`, `\b` are ASCII-based and `$` only matches at the very end
// (Kong's traditional_compatible router runs these regexes with Rust's `regex`, whose `$` also
// only matches at the end).
//
// Caution: JavaScript uses a backtracking engine; unlike Kong's Rust engine it is not immune
// to catastrophic backtracking (`(a+)+$`).

export type PcreTranslation =
  | { source: string; flags: string; names: string[]; captures: number }
  | { error: string; kind: 'syntax' | 'unsupported' }

class PcreError extends Error {
  constructor(
    message: string,
    readonly kind: 'syntax' | 'unsupported',
  ) {
    super(message)
  }
}

const syntax = (msg: string) => new PcreError(msg, 'syntax')
const unsupported = (msg: string) => new PcreError(msg, 'unsupported')

// PCRE2 compile error texts (pcre2_error.c) used below.
const E = {
  endBackslash: '\\ at end of pattern',
  unrecognizedEscape: 'unrecognized character follows \\',
  quantOrder: 'numbers out of order in {} quantifier',
  quantTooBig: 'number too big in {} quantifier',
  classUnterminated: 'missing terminating ] for character class',
  escapeInClass: 'escape sequence is invalid in character class',
  rangeOrder: 'range out of order in character class',
  nothingToRepeat: 'quantifier does not follow a repeatable item',
  afterQuestion: 'unrecognized character after (? or (?-',
  missingParen: 'missing closing parenthesis',
  noSuchGroup: 'reference to non-existent subpattern',
  commentUnterminated: 'missing ) after (?# comment',
  unmatchedParen: 'unmatched closing parenthesis',
  posixOutsideClass: 'POSIX named classes are supported only within a class',
  posixUnknown: 'unknown POSIX class name',
  posixCollating: 'POSIX collating elements are not supported',
  unsupportedEscape: 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u',
  afterP: 'unrecognized character after (?P',
  nameTerminator: 'syntax error in subpattern name (missing terminator?)',
  duplicateName: 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)',
  nameDigit: 'subpattern name must start with a non-digit',
  nameExpected: 'subpattern name expected',
  nameTooLong: 'subpattern name is too long (maximum 32 code units)',
  propertyMalformed: 'malformed \\P or \\p sequence',
  propertyUnknown: 'unknown property name after \\P or \\p',
  rangeInvalid: 'invalid range in character class',
  gSyntax: '\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number',
  kSyntax: '\\k is not followed by a braced, angle-bracketed, or quoted name',
  cSyntax: '\\c must be followed by a printable ASCII character',
  oBrace: 'missing opening brace after \\o',
  codeTooLarge: 'character code point value in \\x{} or \\o{} is too large',
  digitsMissing: 'digits missing in \\x{} or \\o{} or \\N{U+}',
  nInClass: '\\N is not supported in a class',
} as const

// ---------------------------------------------------------------------------------------------
// AST

type Range = [from: number, to: number]

/** Members of a character class: code point ranges plus JavaScript class escapes (`\d`, `\p{L}`). */
interface ClassSet {
  negated: boolean
  ranges: Range[]
  escapes: string[]
}

type Node =
  | { t: 'lit'; cp: number; ci: boolean }
  | { t: 'class'; set: ClassSet; ci: boolean }
  | { t: 'raw'; src: string } // already JavaScript (e.g. `[^\n]` for `.`), case-neutral
  | { t: 'assert'; src: string } // zero-width, not quantifiable
  | { t: 'group'; kind: GroupKind; name?: string; alts: Node[][] }
  | { t: 'backref'; ref: number | string; ci: boolean }
  | { t: 'quant'; node: Node; min: number; max: number; lazy: boolean }

type GroupKind = 'capture' | 'plain' | 'ahead' | 'notahead' | 'behind' | 'notbehind'

interface Flags {
  i: boolean
  m: boolean
  s: boolean
  x: boolean
  xx: boolean
  n: boolean
  U: boolean
}

const MAX_CP = 0x10ffff

/** Range table from a class-like spec: `'0-9A-Z_'` → [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f]]. */
function table(spec: string): Range[] {
  const cps = Array.from(spec, (c) => c.codePointAt(0)!)
  const out: Range[] = []
  for (let k = 0; k < cps.length; k++) {
    if (cps[k + 1] === 0x2d && k + 2 < cps.length) {
      out.push([cps[k], cps[k + 2]])
      k += 2
    } else {
      out.push([cps[k], cps[k]])
    }
  }
  return out
}

const HSPACE = table('\t \u00a0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000')
const VSPACE = table('\n-\r\u0085\u2028-\u2029')
// PCRE2's POSIX classes without PCRE2_UCP are ASCII-only.
const POSIX: Record<string, Range[]> = {
  alnum: table('0-9A-Za-z'),
  alpha: table('A-Za-z'),
  ascii: table('\0-\x7f'),
  blank: table('\t '),
  cntrl: table('\0-\x1f\x7f'),
  digit: table('0-9'),
  graph: table('!-~'),
  lower: table('a-z'),
  print: table(' -~'),
  punct: table('!-/:-@[-`{-~'),
  space: table('\t-\r '),
  upper: table('A-Z'),
  word: table('0-9A-Z_a-z'),
  xdigit: table('0-9A-Fa-f'),
}

function complement(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: Range[] = []
  let next = 0
  for (const [from, to] of sorted) {
    if (from > next) out.push([next, from - 1])
    next = Math.max(next, to + 1)
  }
  if (next <= MAX_CP) out.push([next, MAX_CP])
  return out
}

// ---------------------------------------------------------------------------------------------
// Parser

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c)
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7'
const isAsciiAlnum = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9]$/.test(c)
const isNameChar = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c)

/** A class escape or literal read inside `[...]`: a single code point or a set of members. */
type ClassAtom = { cp: number } | { ranges: Range[]; escapes: string[] }

class Parser {
  private readonly p: string[]
  private i = 0
  private flags: Flags = { i: false, m: false, s: false, x: false, xx: false, n: false, U: false }
  private inQuote = false
  /** Options of a `(?i:…)` group, set by optionSetting() for the group body. */
  private pendingScopedFlags: Flags | undefined
  captures = 0
  readonly names: string[] = []
  private readonly backrefs: Array<{ ref: number | string }> = []

  constructor(pattern: string) {
    // Code points, so that astral characters are single literals.
    this.p = Array.from(pattern)
  }

  parse(): Node[][] {
    const alts = this.alternation(0)
    if (this.i < this.p.length) throw syntax(E.unmatchedParen)
    for (const b of this.backrefs) {
      const ok = typeof b.ref === 'number' ? b.ref <= this.captures : this.names.includes(b.ref)
      if (!ok) throw syntax(E.noSuchGroup)
    }
    return alts
  }

  private peek(offset = 0): string | undefined {
    return this.p[this.i + offset]
  }

  /** Alternatives up to the matching `)` (not consumed) or the end of the pattern. */
  private alternation(depth: number): Node[][] {
    const saved = { ...this.flags }
    const alts: Node[][] = [[]]
    while (this.i < this.p.length) {
      const c = this.p[this.i]
      if (!this.inQuote && c === ')') {
        if (depth === 0) throw syntax(E.unmatchedParen)
        break
      }
      if (!this.inQuote && c === '|') {
        this.i++
        alts.push([])
        continue
      }
      this.item(alts[alts.length - 1])
    }
    // Option changes made inside a group end with it (they do carry across its alternatives).
    this.flags = saved
    return alts
  }

  private item(seq: Node[]): void {
    const c = this.p[this.i]
    if (this.inQuote) {
      if (c === '\\' && this.peek(1) === 'E') {
        this.inQuote = false
        this.i += 2
        return
      }
      seq.push({ t: 'lit', cp: c.codePointAt(0)!, ci: this.flags.i })
      this.i++
      return
    }
    if (this.flags.x && /^[ \t\n\v\f\r]$/.test(c)) {
      this.i++
      return
    }
    if (this.flags.x && c === '#') {
      while (this.i < this.p.length && this.p[this.i] !== '\n') this.i++
      return
    }
    switch (c) {
      case '(':
        this.group(seq)
        return
      case '[':
        if (/^\[:\^?[A-Za-z]+:\]/.test(this.p.slice(this.i, this.i + 16).join(''))) {
          throw syntax(E.posixOutsideClass)
        }
        this.i++
        seq.push({ t: 'class', set: this.classBody(), ci: this.flags.i })
        return
      case '.':
        this.i++
        seq.push({ t: 'raw', src: this.flags.s ? '[\\s\\S]' : '[^\\n]' })
        return
      case '^':
        this.i++
        seq.push({ t: 'assert', src: this.flags.m ? '(?<![^\\n])' : '^' })
        return
      case '$':
        this.i++
        seq.push({ t: 'assert', src: this.flags.m ? '(?![^\\n])' : '$' })
        return
      case '*':
      case '+':
      case '?':
        this.i++
        this.quantify(seq, c === '+' ? 1 : 0, c === '?' ? 1 : Number.POSITIVE_INFINITY)
        return
      case '{': {
        const q = this.braceQuantifier()
        if (q) {
          this.quantify(seq, q.min, q.max)
          return
        }
        break
      }
      case '\\':
        this.escape(seq)
        return
    }
    seq.push({ t: 'lit', cp: c.codePointAt(0)!, ci: this.flags.i })
    this.i++
  }

  /** `{n}`, `{n,}`, `{n,m}` at the current `{`, consumed; undefined (nothing consumed) if literal. */
  private braceQuantifier(): { min: number; max: number } | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i, this.i + 24).join(''))
    if (!m) return undefined
    const min = Number(m[1])
    const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3])
    if (min > 65535 || (Number.isFinite(max) && max > 65535)) throw syntax(E.quantTooBig)
    if (max < min) throw syntax(E.quantOrder)
    this.i += m[0].length
    return { min, max }
  }

  private quantify(seq: Node[], min: number, max: number): void {
    const last = seq[seq.length - 1]
    if (!last || last.t === 'assert' || last.t === 'quant') throw syntax(E.nothingToRepeat)
    let lazy = this.flags.U
    if (this.peek() === '?') {
      lazy = !lazy
      this.i++
    } else if (this.peek() === '+') {
      throw unsupported('possessive quantifiers')
    }
    seq[seq.length - 1] = { t: 'quant', node: last, min, max, lazy }
  }

  /** A group name followed by `terminator` (consumed). */
  private readName(terminator: string): string {
    if (isDigit(this.peek())) throw syntax(E.nameDigit)
    const start = this.i
    while (isNameChar(this.peek())) this.i++
    const name = this.p.slice(start, this.i).join('')
    if (name === '') throw syntax(E.nameExpected)
    if (this.peek() !== terminator) throw syntax(E.nameTerminator)
    if (name.length > 32) throw syntax(E.nameTooLong)
    this.i++
    return name
  }

  private group(seq: Node[]): void {
    this.i++ // '('
    let kind: GroupKind = 'capture'
    let name: string | undefined
    if (this.peek() === '*' && /^[A-Za-z:]$/.test(this.peek(1) ?? '')) {
      throw unsupported('backtracking control verbs and (*…) assertions')
    }
    if (this.peek() === '?') {
      this.i++
      const c = this.peek()
      const c1 = this.peek(1)
      if (c === '#') {
        while (this.i < this.p.length && this.p[this.i] !== ')') this.i++
        if (this.i >= this.p.length) throw syntax(E.commentUnterminated)
        this.i++
        return
      }
      if (c === ':') {
        kind = 'plain'
        this.i++
      } else if (c === '=' || c === '!') {
        kind = c === '=' ? 'ahead' : 'notahead'
        this.i++
      } else if (c === '<' && (c1 === '=' || c1 === '!')) {
        kind = c1 === '=' ? 'behind' : 'notbehind'
        this.i += 2
      } else if (c === '<' || c === "'") {
        this.i++
        name = this.readName(c === '<' ? '>' : "'")
      } else if (c === 'P') {
        this.i++
        const d = this.peek()
        if (d === '<') {
          this.i++
          name = this.readName('>')
        } else if (d === '=') {
          this.i++
          const ref = this.readName(')')
          this.backref(seq, ref)
          return
        } else if (d === '>') {
          throw unsupported('subroutine calls')
        } else {
          throw syntax(E.afterP)
        }
      } else if (c === '|') {
        throw unsupported('branch reset groups')
      } else if (c === '>') {
        throw unsupported('atomic groups')
      } else if (c === '(') {
        throw unsupported('conditional groups')
      } else if (c === 'R' || c === '&' || isDigit(c) || ((c === '+' || c === '-') && isDigit(c1))) {
        throw unsupported('recursion and subroutine calls')
      } else if (c === 'C') {
        throw unsupported('callouts')
      } else if (c === '*') {
        throw unsupported('non-atomic lookahead')
      } else if (c !== undefined && /^[imnsxJU^-]$/.test(c)) {
        if (this.optionSetting()) return // `(?i)`: applies to the rest of the enclosing group
        kind = 'plain' // `(?i:...)`
      } else {
        throw syntax(E.afterQuestion)
      }
    } else if (this.flags.n) {
      kind = 'plain'
    }

    if (name !== undefined) {
      if (this.names.includes(name)) throw unsupported('duplicate group names')
      kind = 'capture'
    }
    if (kind === 'capture') {
      this.captures++
      if (name !== undefined) this.names.push(name)
    }
    const outer = { ...this.flags }
    if (this.pendingScopedFlags) {
      this.flags = this.pendingScopedFlags
      this.pendingScopedFlags = undefined
    }
    const alts = this.alternation(1)
    this.flags = outer
    if (this.peek() !== ')') throw syntax(E.missingParen)
    this.i++
    seq.push({ t: 'group', kind, name, alts })
  }

  /**
   * Parses the letters of `(?imnsxJU-imnsx)` / `(?^…)`. Returns true for a standalone setting
   * (`)` consumed, current flags changed); false for `(?…:` (`:` consumed, the new flags are
   * kept for the group body).
   */
  private optionSetting(): boolean {
    const next = { ...this.flags }
    let unset = false
    if (this.peek() === '^') {
      Object.assign(next, { i: false, m: false, n: false, s: false, x: false, xx: false })
      this.i++
    }
    for (;;) {
      const c = this.peek()
      this.i++
      if (c === ')' || c === ':') {
        if (c === ')') this.flags = next
        else this.pendingScopedFlags = next
        return c === ')'
      }
      if (c === '-' && !unset) {
        unset = true
        continue
      }
      if (c === 'x' && this.peek() === 'x') {
        this.i++
        next.x = !unset
        next.xx = !unset
        continue
      }
      if (c === 'J') throw unsupported('duplicate group names')
      if (c === 'i' || c === 'm' || c === 'n' || c === 's' || c === 'x' || c === 'U') {
        next[c] = !unset
        if (c === 'x' && unset) next.xx = false
        continue
      }
      throw syntax(E.afterQuestion)
    }
  }

  private backref(seq: Node[], ref: number | string): void {
    this.backrefs.push({ ref })
    seq.push({ t: 'backref', ref, ci: this.flags.i })
  }

  /** `\` outside a class. */
  private escape(seq: Node[]): void {
    this.i++
    const c = this.peek()
    if (c === undefined) throw syntax(E.endBackslash)
    this.i++
    const ci = this.flags.i
    const cls = (ranges: Range[], negated = false): Node => ({
      t: 'class',
      set: { negated, ranges, escapes: [] },
      ci: false,
    })
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
        seq.push({ t: 'raw', src: `\\${c}` })
        return
      case 'h':
      case 'H':
        seq.push(cls(HSPACE, c === 'H'))
        return
      case 'v':
      case 'V':
        seq.push(cls(VSPACE, c === 'V'))
        return
      case 'N':
        if (this.peek() === '{') throw syntax(E.unsupportedEscape)
        seq.push({ t: 'raw', src: '[^\\n]' })
        return
      case 'R':
        seq.push({ t: 'raw', src: '(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])' })
        return
      case 'b':
      case 'B':
        seq.push({ t: 'assert', src: `\\${c}` })
        return
      case 'A':
        seq.push({ t: 'assert', src: '^' })
        return
      case 'z':
        seq.push({ t: 'assert', src: '$' })
        return
      case 'Z':
        seq.push({ t: 'assert', src: '(?=\\n?$)' })
        return
      case 'G':
        throw unsupported('\\G')
      case 'K':
        throw unsupported('\\K')
      case 'X':
        throw unsupported('\\X')
      case 'C':
        throw unsupported('\\C')
      case 'Q':
        this.inQuote = true
        return
      case 'E':
        return
      case 'p':
      case 'P':
        seq.push({ t: 'raw', src: this.property(c) })
        return
      case 'g':
        this.gReference(seq)
        return
      case 'k': {
        const open = this.peek()
        const close = open === '<' ? '>' : open === "'" ? "'" : open === '{' ? '}' : undefined
        if (!close) throw syntax(E.kSyntax)
        this.i++
        this.backref(seq, this.readName(close))
        return
      }
    }
    if (c >= '1' && c <= '9') {
      // PCRE2: a backreference if < 10, starting with 8/9, or not more than the groups opened so
      // far; otherwise up to three octal digits (the rest are literal digits).
      const start = this.i - 1
      while (isDigit(this.peek())) this.i++
      const digits = this.p.slice(start, this.i).join('')
      const n = Number(digits)
      if (n < 10 || c === '8' || c === '9' || n <= this.captures) {
        this.backref(seq, n)
        return
      }
      this.i = start
      seq.push({ t: 'lit', cp: this.octal(3), ci })
      return
    }
    const cp = this.literalEscape(c)
    seq.push({ t: 'lit', cp, ci })
  }

  /** `\g…` after the `g`. */
  private gReference(seq: Node[]): void {
    const open = this.peek()
    if (open === '<' || open === "'") throw unsupported('subroutine calls')
    let body: string
    if (open === '{') {
      const end = this.p.indexOf('}', this.i)
      if (end === -1) throw syntax(E.gSyntax)
      body = this.p.slice(this.i + 1, end).join('')
      this.i = end + 1
    } else {
      const m = /^-?\d+/.exec(this.p.slice(this.i, this.i + 12).join(''))
      if (!m) throw syntax(E.gSyntax)
      body = m[0]
      this.i += m[0].length
    }
    if (/^-\d+$/.test(body)) {
      const n = this.captures + 1 - Number(body.slice(1))
      if (n <= 0 || body === '-0') throw syntax(E.noSuchGroup)
      this.backref(seq, n)
    } else if (/^\d+$/.test(body)) {
      if (Number(body) === 0) throw syntax(E.noSuchGroup)
      this.backref(seq, Number(body))
    } else if (/^[A-Za-z_]\w*$/.test(body)) {
      this.backref(seq, body)
    } else {
      throw syntax(E.gSyntax)
    }
  }

  /** Octal digits at the current position (at least one), up to `max`. */
  private octal(max: number): number {
    let v = 0
    let k = 0
    while (k < max && isOctal(this.peek())) {
      v = v * 8 + Number(this.peek())
      this.i++
      k++
    }
    return v
  }

  /** Escapes denoting one character, valid both inside and outside classes (`c` consumed). */
  private literalEscape(c: string): number {
    switch (c) {
      case 'a':
        return 0x07
      case 'e':
        return 0x1b
      case 'f':
        return 0x0c
      case 'n':
        return 0x0a
      case 'r':
        return 0x0d
      case 't':
        return 0x09
      case '0':
        return this.octal(2)
      case 'o': {
        if (this.peek() !== '{') throw syntax(E.oBrace)
        return this.bracedNumber(8)
      }
      case 'x': {
        if (this.peek() === '{') return this.bracedNumber(16)
        let v = 0
        for (let k = 0; k < 2 && isHex(this.peek()); k++) {
          v = v * 16 + Number.parseInt(this.peek()!, 16)
          this.i++
        }
        return v
      }
      case 'c': {
        const d = this.peek()
        if (d === undefined || d < ' ' || d > '~') throw syntax(E.cSyntax)
        this.i++
        return d.toUpperCase().charCodeAt(0) ^ 0x40
      }
      case 'u':
      case 'U':
      case 'l':
      case 'L':
      case 'F':
        throw syntax(E.unsupportedEscape)
    }
    if (isAsciiAlnum(c)) throw syntax(E.unrecognizedEscape)
    return c.codePointAt(0)!
  }

  /** `{digits}` in the given base, at the current `{`. */
  private bracedNumber(base: 8 | 16): number {
    const end = this.p.indexOf('}', this.i)
    const digits = end === -1 ? '' : this.p.slice(this.i + 1, end).join('')
    const valid = base === 16 ? /^[0-9A-Fa-f]+$/ : /^[0-7]+$/
    if (!valid.test(digits)) throw syntax(E.digitsMissing)
    const v = Number.parseInt(digits, base)
    if (v > MAX_CP) throw syntax(E.codeTooLarge)
    this.i = end + 1
    return v
  }

  /** `\p…` / `\P…` after the letter: JavaScript `\p{…}` / `\P{…}`. */
  private property(letter: 'p' | 'P'): string {
    let name: string
    if (this.peek() === '{') {
      const end = this.p.indexOf('}', this.i)
      if (end === -1) throw syntax(E.propertyMalformed)
      name = this.p.slice(this.i + 1, end).join('')
      this.i = end + 1
    } else {
      const c = this.peek()
      if (c === undefined) throw syntax(E.propertyMalformed)
      name = c
      this.i++
    }
    let negated = letter === 'P'
    if (name.startsWith('^')) {
      negated = !negated
      name = name.slice(1)
    }
    if (name === 'L&') name = 'LC'
    if (/^X(an|ps|sp|uc|wd)$/.test(name)) throw unsupported(`\\p{${name}}`)
    for (const candidate of [name, `Script=${name}`]) {
      if (!/^[A-Za-z_=&]+$/.test(candidate)) break
      try {
        new RegExp(`\\p{${candidate}}`, 'u')
        return `\\${negated ? 'P' : 'p'}{${candidate}}`
      } catch {
        // try the next spelling
      }
    }
    throw syntax(E.propertyUnknown)
  }

  /** Body of `[...]` after the `[`, up to and including the closing `]`. */
  private classBody(): ClassSet {
    const set: ClassSet = { negated: false, ranges: [], escapes: [] }
    if (this.peek() === '^') {
      set.negated = true
      this.i++
    }
    let first = true
    for (;;) {
      if (this.i >= this.p.length) throw syntax(E.classUnterminated)
      const c = this.p[this.i]
      if (!this.inQuote) {
        if (c === ']' && !first) {
          this.i++
          return set
        }
        if (this.flags.xx && (c === ' ' || c === '\t')) {
          this.i++
          continue
        }
      }
      first = false
      const atom = this.classAtom()
      if (atom === undefined) continue // \E, empty \Q\E
      const hyphen = !this.inQuote && this.peek() === '-'
      const rangeEnd = hyphen && this.peek(1) !== undefined && this.peek(1) !== ']'
      if (!rangeEnd) {
        if ('cp' in atom) set.ranges.push([atom.cp, atom.cp])
        else {
          set.ranges.push(...atom.ranges)
          set.escapes.push(...atom.escapes)
        }
        continue
      }
      this.i++ // '-'
      const to = this.classAtom()
      if (!('cp' in atom) || to === undefined || !('cp' in to)) throw syntax(E.rangeInvalid)
      if (to.cp < atom.cp) throw syntax(E.rangeOrder)
      set.ranges.push([atom.cp, to.cp])
    }
  }

  /** One member inside a class; undefined for things that denote nothing (`\E`). */
  private classAtom(): ClassAtom | undefined {
    const c = this.p[this.i]
    if (this.inQuote) {
      if (c === '\\' && this.peek(1) === 'E') {
        this.inQuote = false
        this.i += 2
        return undefined
      }
      this.i++
      return { cp: c.codePointAt(0)! }
    }
    if (c === '[' && (this.peek(1) === ':' || this.peek(1) === '.' || this.peek(1) === '=')) {
      const posix = this.posixClass()
      if (posix) return posix
    }
    if (c !== '\\') {
      this.i++
      return { cp: c.codePointAt(0)! }
    }
    this.i++
    const e = this.peek()
    if (e === undefined) throw syntax(E.endBackslash)
    this.i++
    switch (e) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
        return { ranges: [], escapes: [`\\${e}`] }
      case 'h':
        return { ranges: HSPACE, escapes: [] }
      case 'H':
        return { ranges: complement(HSPACE), escapes: [] }
      case 'v':
        return { ranges: VSPACE, escapes: [] }
      case 'V':
        return { ranges: complement(VSPACE), escapes: [] }
      case 'p':
      case 'P':
        return { ranges: [], escapes: [this.property(e)] }
      case 'b':
        return { cp: 0x08 }
      case 'N':
        throw syntax(E.nInClass)
      case 'Q':
        this.inQuote = true
        return undefined
      case 'E':
        return undefined
      case '8':
      case '9':
        return { cp: e.charCodeAt(0) }
    }
    if (e >= '1' && e <= '7') {
      this.i--
      return { cp: this.octal(3) }
    }
    if ('BRXAzZGKgk'.includes(e)) throw syntax(E.escapeInClass)
    return { cp: this.literalEscape(e) }
  }

  /** `[:name:]`, `[:^name:]` at the current `[`; undefined (nothing consumed) if not one. */
  private posixClass(): ClassAtom | undefined {
    const rest = this.p.slice(this.i, this.i + 16).join('')
    const m = /^\[([:.=])(\^?)([A-Za-z]*)\1\]/.exec(rest)
    if (!m) return undefined
    if (m[1] !== ':') throw syntax(E.posixCollating)
    const ranges = POSIX[m[3]]
    if (!ranges) throw syntax(E.posixUnknown)
    this.i += m[0].length
    return { ranges: m[2] ? complement(ranges) : ranges, escapes: [] }
  }
}

// ---------------------------------------------------------------------------------------------
// Emission

const CASE_EXPANSION_LIMIT = 0x3000

/** Other code points equal to `cp` under simple case folding (best effort with JS mappings). */
function caseVariants(cp: number): number[] {
  const out = new Set<number>()
  const ch = String.fromCodePoint(cp)
  for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
    const vs = [v, v.toLowerCase(), v.toUpperCase()]
    for (const w of vs) {
      const arr = Array.from(w)
      if (arr.length === 1) out.add(arr[0].codePointAt(0)!)
    }
  }
  out.delete(cp)
  return [...out]
}

function rangeIsCased(ranges: Range[]): boolean {
  for (const [from, to] of ranges) {
    if (to - from > CASE_EXPANSION_LIMIT) return true
    for (let cp = from; cp <= to; cp++) if (caseVariants(cp).length > 0) return true
  }
  return false
}

function isCased(node: Node): boolean {
  switch (node.t) {
    case 'lit':
      return caseVariants(node.cp).length > 0
    case 'class':
      return rangeIsCased(node.set.ranges)
    case 'backref':
      return true
    default:
      return false
  }
}

/** Visits the leaves (literals, classes, backrefs) of the tree. */
function eachLeaf(alts: Node[][], fn: (n: Node) => void): void {
  const visit = (n: Node): void => {
    if (n.t === 'group') for (const seq of n.alts) seq.forEach(visit)
    else if (n.t === 'quant') visit(n.node)
    else fn(n)
  }
  for (const seq of alts) seq.forEach(visit)
}

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/')

// Characters emitted as `\u{…}`: controls, invisible and unassigned code points, whitespace.
const OPAQUE = /^[\p{C}\p{White_Space}]$/u

function escapeCp(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp)
  if (SYNTAX_CHARS.has(ch) || (inClass && ch === '-')) return `\\${ch}`
  if (cp === 0x20 || !OPAQUE.test(ch)) return ch
  return `\\u{${cp.toString(16)}}`
}

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: Range[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1])
    else out.push([r[0], r[1]])
  }
  return out
}

function withCaseVariants(ranges: Range[]): Range[] {
  const extra: Range[] = []
  for (const [from, to] of ranges) {
    if (to - from > CASE_EXPANSION_LIMIT) continue
    for (let cp = from; cp <= to; cp++) for (const v of caseVariants(cp)) extra.push([v, v])
  }
  return [...ranges, ...extra]
}

function renderClass(set: ClassSet, expandCase: boolean): string {
  const ranges = mergeRanges(expandCase ? withCaseVariants(set.ranges) : set.ranges)
  let body = ''
  for (const [from, to] of ranges) {
    body += from === to ? escapeCp(from, true) : `${escapeCp(from, true)}-${escapeCp(to, true)}`
  }
  body += set.escapes.join('')
  return `[${set.negated ? '^' : ''}${body}]`
}

type CaseMode = 'none' | 'flag' | 'expand'

function render(alts: Node[][], mode: CaseMode): string {
  const node = (n: Node): string => {
    switch (n.t) {
      case 'lit': {
        if (mode === 'expand' && n.ci) {
          const variants = caseVariants(n.cp)
          if (variants.length > 0) {
            return renderClass(
              { negated: false, ranges: [n.cp, ...variants].map((v) => [v, v]), escapes: [] },
              false,
            )
          }
        }
        return escapeCp(n.cp, false)
      }
      case 'class':
        return renderClass(n.set, mode === 'expand' && n.ci)
      case 'raw':
      case 'assert':
        return n.src
      case 'backref':
        if (mode === 'expand' && n.ci)
          throw unsupported('case-insensitive backreferences mixed with case-sensitive parts')
        // Wrapped so that a following literal digit is not read as part of the group number.
        return typeof n.ref === 'number' ? `(?:\\${n.ref})` : `(?:\\k<${n.ref}>)`
      case 'group': {
        const body = n.alts.map((seq) => seq.map(node).join('')).join('|')
        const open = {
          capture: n.name === undefined ? '(' : `(?<${n.name}>`,
          plain: '(?:',
          ahead: '(?=',
          notahead: '(?!',
          behind: '(?<=',
          notbehind: '(?<!',
        }[n.kind]
        return `${open}${body})`
      }
      case 'quant': {
        let inner = node(n.node)
        // JavaScript (u mode) refuses quantified lookarounds; PCRE allows them.
        if (n.node.t === 'group' && n.node.kind !== 'capture' && n.node.kind !== 'plain')
          inner = `(?:${inner})`
        const { min, max } = n
        let q: string
        if (min === 0 && max === Number.POSITIVE_INFINITY) q = '*'
        else if (min === 1 && max === Number.POSITIVE_INFINITY) q = '+'
        else if (min === 0 && max === 1) q = '?'
        else if (max === Number.POSITIVE_INFINITY) q = `{${min},}`
        else if (min === max) q = `{${min}}`
        else q = `{${min},${max}}`
        return `${inner}${q}${n.lazy ? '?' : ''}`
      }
    }
  }
  return alts.map((seq) => seq.map(node).join('')).join('|')
}

/**
 * Translates a PCRE2 pattern into a JavaScript RegExp `source` + `flags` (always `u`, plus `i`
 * when the whole pattern is case-insensitive). `names` lists the named groups in group order;
 * `captures` is the number of capture groups. The result is verified to compile.
 */
export function translatePcre(pattern: string): PcreTranslation {
  try {
    const parser = new Parser(pattern)
    const alts = parser.parse()
    let anyCi = false
    let allCi = true
    eachLeaf(alts, (n) => {
      if (!isCased(n)) return
      const ci = n.t === 'lit' || n.t === 'class' || n.t === 'backref' ? n.ci : false
      if (ci) anyCi = true
      else allCi = false
    })
    const mode: CaseMode = !anyCi ? 'none' : allCi ? 'flag' : 'expand'
    const source = render(alts, mode)
    const flags = mode === 'flag' ? 'iu' : 'u'
    try {
      new RegExp(source, flags)
    } catch (err) {
      // A construct this translator passed through but JavaScript rejects (should be rare).
      return { error: (err as Error).message, kind: 'syntax' }
    }
    return { source, flags, names: parser.names, captures: parser.captures }
  } catch (err) {
    if (err instanceof PcreError) return { error: err.message, kind: err.kind }
    throw err
  }
}
