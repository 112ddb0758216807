// request-transformer's value templates: `$(expr)` pieces are replaced by the value of `expr`.
// Kong compiles them with Penlight's template library and runs them as sandboxed Lua; Silverback
// never evaluates code: `expr` is parsed here into a tree (a subset of Lua's expression syntax)
// and interpreted with Lua's semantics (only nil and false are false, `..` concatenates, strings
// coerce to numbers in arithmetic, tables are 1-based...). Names resolve to the request tables
// (`headers`, `query_params`, `uri_captures`, `shared`) and a few functions (`type`, `tostring`,
// `tonumber`, `string.len/lower/upper/sub`); nothing can be assigned, defined or looped.
import { LUA_KEYWORDS } from '../../util/lua.js'

export class TemplateSyntaxError extends Error {}
export class TemplateRuntimeError extends Error {}

// ---------------------------------------------------------------------------------------------
// Values

/** A Lua value: nil is `undefined`. */
export type LuaValue = undefined | boolean | number | string | LuaTable | LuaFunction

/** A read-only Lua table over some JavaScript data. */
export abstract class LuaTable {
  /** `t[key]` (no inherited properties, ever). */
  abstract get(key: LuaValue): LuaValue
  /** Lua's `#t`. */
  abstract length(): number
  /** What `==` compares (two views of the same data are the same table). */
  abstract readonly raw: unknown
  /** `tostring(t)`. */
  display(): string {
    return 'table'
  }
}

export class LuaFunction {
  constructor(
    readonly name: string,
    readonly fn: (args: LuaValue[]) => LuaValue,
  ) {}
}

/** A JavaScript value as the templates see it (functions and symbols are invisible). */
export function fromJs(v: unknown): LuaValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return v
    case 'bigint':
      return Number(v)
    case 'object':
      if (v === null) return undefined
      if (v instanceof LuaTable) return v
      if (Buffer.isBuffer(v)) return v.toString('utf8')
      if (Array.isArray(v)) return new ArrayTable(v)
      return new RecordTable(v as Record<string, unknown>)
    default:
      return undefined
  }
}

/** An object's own properties as a table with string keys (`normalize`: header-style lookups). */
export class RecordTable extends LuaTable {
  constructor(
    readonly raw: Record<string, unknown>,
    private readonly normalize = false,
  ) {
    super()
  }

  get(key: LuaValue): LuaValue {
    if (typeof key !== 'string') return undefined
    if (Object.hasOwn(this.raw, key)) return fromJs(this.raw[key])
    if (this.normalize) {
      // ngx.req.get_headers(): `headers.X_Custom` finds `x-custom`.
      const n = key.toLowerCase().replace(/_/g, '-')
      if (n !== key && Object.hasOwn(this.raw, n)) return fromJs(this.raw[n])
    }
    return undefined
  }

  length(): number {
    return 0
  }
}

/** An array as a Lua sequence (1-based). */
export class ArrayTable extends LuaTable {
  constructor(readonly raw: readonly unknown[]) {
    super()
  }

  get(key: LuaValue): LuaValue {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 1 || key > this.raw.length)
      return undefined
    return fromJs(this.raw[key - 1])
  }

  length(): number {
    let n = 0
    while (n < this.raw.length && this.raw[n] !== undefined && this.raw[n] !== null) n++
    return n
  }

  /** Lua would print `table: 0x…`; the values joined are more useful (repeated headers). */
  override display(): string {
    return this.raw.map((v) => toLuaString(fromJs(v))).join(', ')
  }
}

/** The router's regex captures: `[0]` whole match, `[n]` groups, `.name` named groups. */
export class CapturesTable extends LuaTable {
  constructor(
    private readonly unnamed: readonly (string | undefined)[],
    private readonly named: Readonly<Record<string, string>>,
  ) {
    super()
  }

  get raw(): unknown {
    return this.named
  }

  get(key: LuaValue): LuaValue {
    if (typeof key === 'number') return Number.isInteger(key) && key >= 0 ? this.unnamed[key] : undefined
    if (typeof key === 'string' && Object.hasOwn(this.named, key)) return this.named[key]
    return undefined
  }

  length(): number {
    let n = 0
    while (this.unnamed[n + 1] !== undefined) n++
    return n
  }
}

class LibraryTable extends LuaTable {
  constructor(readonly raw: ReadonlyMap<string, LuaFunction>) {
    super()
  }

  get(key: LuaValue): LuaValue {
    return typeof key === 'string' ? this.raw.get(key) : undefined
  }

  length(): number {
    return 0
  }
}

export function luaType(v: LuaValue): string {
  if (v === undefined) return 'nil'
  if (v instanceof LuaTable) return 'table'
  if (v instanceof LuaFunction) return 'function'
  return typeof v
}

/** Lua's `%.14g` number format. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan'
  if (n === Number.POSITIVE_INFINITY) return 'inf'
  if (n === Number.NEGATIVE_INFINITY) return '-inf'
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return Object.is(n, -0) ? '-0' : String(n)
  const [mantissa, e] = n.toExponential(13).split('e')
  const exp = Number(e)
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s)
  if (exp < -4 || exp >= 14) {
    return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  return strip(n.toFixed(13 - exp))
}

export function toLuaString(v: LuaValue): string {
  if (v === undefined) return 'nil'
  if (typeof v === 'string') return v
  if (typeof v === 'number') return formatNumber(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v instanceof LuaTable) return v.display()
  return `function: builtin: ${v.name}`
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/
const HEX = /^([-+]?)0[xX]([0-9a-fA-F]+)$/

/** Lua's string → number conversion (tonumber, arithmetic on strings); undefined if not a number. */
export function stringToNumber(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
  if (NUMBER.test(t)) return Number(t)
  const hex = HEX.exec(t)
  if (hex) return (hex[1] === '-' ? -1 : 1) * Number.parseInt(hex[2], 16)
  return undefined
}

const truthy = (v: LuaValue): boolean => v !== undefined && v !== false

// ---------------------------------------------------------------------------------------------
// Built-in functions

function argError(n: number, fn: string, expected: string, got: LuaValue): TemplateRuntimeError {
  return new TemplateRuntimeError(`bad argument #${n} to '${fn}' (${expected} expected, got ${luaType(got)})`)
}

function checkString(args: LuaValue[], n: number, fn: string): string {
  const v = args[n - 1]
  if (typeof v === 'string') return v
  if (typeof v === 'number') return formatNumber(v)
  throw argError(n, fn, 'string', v)
}

function checkInteger(args: LuaValue[], n: number, fn: string, dflt?: number): number {
  const v = args[n - 1]
  if (v === undefined && dflt !== undefined) return dflt
  const num = typeof v === 'number' ? v : typeof v === 'string' ? stringToNumber(v) : undefined
  if (num === undefined) throw argError(n, fn, 'number', v)
  return Math.trunc(num)
}

const ASCII_LOWER = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
const ASCII_UPPER = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase())

/** string.sub on bytes, as Lua 5.1 does. */
function byteSub(s: string, i: number, j: number): string {
  const bytes = Buffer.from(s, 'utf8')
  const l = bytes.length
  let start = i < 0 ? l + i + 1 : i
  let end = j < 0 ? l + j + 1 : j
  if (start < 1) start = 1
  if (end > l) end = l
  return start <= end ? bytes.subarray(start - 1, end).toString('utf8') : ''
}

const STRING_LIB = new LibraryTable(
  new Map([
    ['len', new LuaFunction('len', (a) => Buffer.byteLength(checkString(a, 1, 'len'), 'utf8'))],
    ['lower', new LuaFunction('lower', (a) => ASCII_LOWER(checkString(a, 1, 'lower')))],
    ['upper', new LuaFunction('upper', (a) => ASCII_UPPER(checkString(a, 1, 'upper')))],
    [
      'sub',
      new LuaFunction('sub', (a) =>
        byteSub(checkString(a, 1, 'sub'), checkInteger(a, 2, 'sub'), checkInteger(a, 3, 'sub', -1)),
      ),
    ],
  ]),
)

function tonumber(args: LuaValue[]): LuaValue {
  const v = args[0]
  const base = args[1]
  if (base === undefined) {
    if (typeof v === 'number') return v
    return typeof v === 'string' ? stringToNumber(v) : undefined
  }
  const b = checkInteger(args, 2, 'tonumber')
  if (b < 2 || b > 36) throw new TemplateRuntimeError("bad argument #2 to 'tonumber' (base out of range)")
  const s = checkString(args, 1, 'tonumber').trim().toLowerCase()
  const m = /^(-?)([0-9a-z]+)$/.exec(s)
  if (!m) return undefined
  let n = 0
  for (const c of m[2]) {
    const d = Number.parseInt(c, 36)
    if (d >= b) return undefined
    n = n * b + d
  }
  return m[1] === '-' ? -n : n
}

/** Globals every template sees besides the request tables. */
const BUILTINS: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['type', new LuaFunction('type', (a) => luaType(a[0]))],
  ['tostring', new LuaFunction('tostring', (a) => toLuaString(a[0]))],
  ['tonumber', new LuaFunction('tonumber', tonumber)],
  ['string', STRING_LIB],
])

/** Names a template may read; anything else is nil. */
export interface TemplateScope {
  lookup(name: string): LuaValue
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '..' | '==' | '~=' | '<' | '<=' | '>' | '>='

export type Expr =
  | { k: 'const'; v: LuaValue }
  | { k: 'name'; name: string }
  | { k: 'index'; obj: Expr; key: Expr }
  | { k: 'call'; fn: Expr; args: Expr[] }
  | { k: 'method'; obj: Expr; name: string; args: Expr[] }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'not' | 'neg' | 'len'; a: Expr }
  | { k: 'bin'; op: BinaryOp; a: Expr; b: Expr }

// ---------------------------------------------------------------------------------------------
// Lexer (Lua 5.1 tokens, LuaJIT string escapes)

interface Token {
  type: 'name' | 'keyword' | 'number' | 'string' | 'op' | 'eof'
  text: string
  value?: LuaValue
}

const OPS3 = ['...']
const OPS2 = ['..', '==', '~=', '<=', '>=']
const OPS1 = '+-*/%^#<>=(){}[];:,.'
const SPACE = /[ \t\r\n\v\f]/
const NAME_START = /[A-Za-z_]/
const NAME_CHAR = /[A-Za-z0-9_]/
const NUMBER_TOKEN = /^(?:0[xX][0-9A-Fa-f]*|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d*)?)[A-Za-z0-9_.]*/

class Lexer {
  private pos = 0

  constructor(private readonly src: string) {}

  private fail(msg: string, near: string): never {
    throw new TemplateSyntaxError(`${msg} near '${near}'`)
  }

  /** `[[`, `[==[`: the number of `=`, or -1 when `pos` does not open a long bracket. */
  private longBracket(): number {
    let i = this.pos + 1
    while (this.src[i] === '=') i++
    return this.src[i] === '[' ? i - this.pos - 1 : -1
  }

  private readLong(level: number): string {
    const close = `]${'='.repeat(level)}]`
    const start = this.pos + level + 2
    const end = this.src.indexOf(close, start)
    if (end === -1) this.fail('unfinished long string', '<eof>')
    this.pos = end + close.length
    let text = this.src.slice(start, end)
    if (text.startsWith('\r\n')) text = text.slice(2)
    else if (text.startsWith('\n') || text.startsWith('\r')) text = text.slice(1)
    return text
  }

  private skipSpaceAndComments(): void {
    const s = this.src
    for (;;) {
      while (this.pos < s.length && SPACE.test(s[this.pos])) this.pos++
      if (!s.startsWith('--', this.pos)) return
      this.pos += 2
      if (s[this.pos] === '[') {
        const level = this.longBracket()
        if (level >= 0) {
          this.readLong(level)
          continue
        }
      }
      while (this.pos < s.length && s[this.pos] !== '\n' && s[this.pos] !== '\r') this.pos++
    }
  }

  private readString(quote: string): string {
    const s = this.src
    let out = ''
    this.pos++
    for (;;) {
      if (this.pos >= s.length) this.fail('unfinished string', '<eof>')
      const c = s[this.pos]
      if (c === quote) {
        this.pos++
        return out
      }
      if (c === '\n' || c === '\r') this.fail('unfinished string', quote + out)
      if (c !== '\\') {
        out += c
        this.pos++
        continue
      }
      const e = s[this.pos + 1]
      this.pos += 2
      switch (e) {
        case 'n':
          out += '\n'
          break
        case 't':
          out += '\t'
          break
        case 'r':
          out += '\r'
          break
        case 'a':
          out += '\x07'
          break
        case 'b':
          out += '\b'
          break
        case 'f':
          out += '\f'
          break
        case 'v':
          out += '\v'
          break
        case '\\':
        case '"':
        case "'":
          out += e
          break
        case '\n':
        case '\r':
          out += '\n'
          break
        case 'x': {
          const hex = s.slice(this.pos, this.pos + 2)
          if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.fail('invalid escape sequence', `\\x${hex}`)
          out += String.fromCharCode(Number.parseInt(hex, 16))
          this.pos += 2
          break
        }
        case 'z':
          while (this.pos < s.length && SPACE.test(s[this.pos])) this.pos++
          break
        default: {
          const digits = /^\d{1,3}/.exec(s.slice(this.pos - 1, this.pos + 2))
          if (!digits) this.fail('invalid escape sequence', `\\${e ?? ''}`)
          const code = Number(digits[0])
          if (code > 255) this.fail('escape sequence too large', `\\${digits[0]}`)
          out += String.fromCharCode(code)
          this.pos += digits[0].length - 1
        }
      }
    }
  }

  next(): Token {
    this.skipSpaceAndComments()
    const s = this.src
    if (this.pos >= s.length) return { type: 'eof', text: '<eof>' }
    const c = s[this.pos]
    if (NAME_START.test(c)) {
      const start = this.pos
      while (this.pos < s.length && NAME_CHAR.test(s[this.pos])) this.pos++
      const text = s.slice(start, this.pos)
      return { type: LUA_KEYWORDS.has(text) ? 'keyword' : 'name', text }
    }
    if (/\d/.test(c) || (c === '.' && /\d/.test(s[this.pos + 1] ?? ''))) {
      const text = NUMBER_TOKEN.exec(s.slice(this.pos))![0]
      this.pos += text.length
      const value = stringToNumber(text)
      if (value === undefined) this.fail('malformed number', text)
      return { type: 'number', text, value }
    }
    if (c === '"' || c === "'") {
      const start = this.pos
      const value = this.readString(c)
      return { type: 'string', text: s.slice(start, this.pos), value }
    }
    if (c === '[') {
      const level = this.longBracket()
      if (level >= 0) {
        const start = this.pos
        const value = this.readLong(level)
        return { type: 'string', text: s.slice(start, this.pos), value }
      }
    }
    for (const op of OPS3) {
      if (s.startsWith(op, this.pos)) {
        this.pos += op.length
        return { type: 'op', text: op }
      }
    }
    for (const op of OPS2) {
      if (s.startsWith(op, this.pos)) {
        this.pos += op.length
        return { type: 'op', text: op }
      }
    }
    if (OPS1.includes(c)) {
      this.pos++
      return { type: 'op', text: c }
    }
    this.fail('unexpected symbol', c)
  }
}

// ---------------------------------------------------------------------------------------------
// Parser (Lua 5.1's expression grammar and operator priorities)

const BINARY: Readonly<Record<string, readonly [number, number]>> = {
  or: [1, 1],
  and: [2, 2],
  '<': [3, 3],
  '>': [3, 3],
  '<=': [3, 3],
  '>=': [3, 3],
  '~=': [3, 3],
  '==': [3, 3],
  '..': [5, 4],
  '+': [6, 6],
  '-': [6, 6],
  '*': [7, 7],
  '/': [7, 7],
  '%': [7, 7],
  '^': [10, 9],
}
const UNARY_PRIORITY = 8
/** Nesting limit (Lua has one too: "chunk has too many syntax levels"). */
const MAX_DEPTH = 100

class Parser {
  private tok: Token
  private depth = 0

  constructor(private readonly lex: Lexer) {
    this.tok = lex.next()
  }

  private advance(): Token {
    const t = this.tok
    this.tok = this.lex.next()
    return t
  }

  private is(text: string): boolean {
    return (this.tok.type === 'op' || this.tok.type === 'keyword') && this.tok.text === text
  }

  private expect(text: string): void {
    if (!this.is(text)) throw new TemplateSyntaxError(`'${text}' expected near '${this.tok.text}'`)
    this.advance()
  }

  private unsupported(what: string): never {
    throw new TemplateSyntaxError(`${what} are not supported in templates near '${this.tok.text}'`)
  }

  /** The whole input as one expression. */
  parseAll(): Expr {
    const e = this.expr(0)
    if (this.tok.type !== 'eof') throw new TemplateSyntaxError(`')' expected near '${this.tok.text}'`)
    return e
  }

  private expr(limit: number): Expr {
    if (++this.depth > MAX_DEPTH) throw new TemplateSyntaxError('expression too complex')
    let e: Expr
    if (this.is('not') || this.is('-') || this.is('#')) {
      const op = this.advance().text
      const a = this.expr(UNARY_PRIORITY)
      e = { k: op === 'not' ? 'not' : op === '-' ? 'neg' : 'len', a }
    } else {
      e = this.simple()
    }
    for (;;) {
      const t = this.tok
      const prio =
        (t.type === 'op' || t.type === 'keyword') && Object.hasOwn(BINARY, t.text) ? BINARY[t.text] : null
      if (prio === null || prio[0] <= limit) break
      this.advance()
      const b = this.expr(prio[1])
      if (t.text === 'and' || t.text === 'or') e = { k: t.text, a: e, b }
      else e = { k: 'bin', op: t.text as BinaryOp, a: e, b }
    }
    this.depth--
    return e
  }

  private simple(): Expr {
    const t = this.tok
    switch (t.type) {
      case 'number':
      case 'string':
        this.advance()
        return { k: 'const', v: t.value }
      case 'keyword':
        if (t.text === 'nil' || t.text === 'true' || t.text === 'false') {
          this.advance()
          return { k: 'const', v: t.text === 'nil' ? undefined : t.text === 'true' }
        }
        if (t.text === 'function') this.unsupported('function definitions')
        break
      case 'op':
        if (t.text === '{') this.unsupported('table constructors')
        if (t.text === '...') this.unsupported('varargs')
        break
    }
    return this.suffixed()
  }

  private primary(): Expr {
    const t = this.tok
    if (t.type === 'name') {
      this.advance()
      return { k: 'name', name: t.text }
    }
    if (this.is('(')) {
      this.advance()
      const e = this.expr(0)
      this.expect(')')
      return e
    }
    throw new TemplateSyntaxError(`unexpected symbol near '${t.text}'`)
  }

  private name(): string {
    if (this.tok.type !== 'name') throw new TemplateSyntaxError(`<name> expected near '${this.tok.text}'`)
    return this.advance().text
  }

  private args(): Expr[] {
    if (this.tok.type === 'string') return [{ k: 'const', v: this.advance().value }]
    if (this.is('{')) this.unsupported('table constructors')
    this.expect('(')
    const out: Expr[] = []
    if (!this.is(')')) {
      out.push(this.expr(0))
      while (this.is(',')) {
        this.advance()
        out.push(this.expr(0))
      }
    }
    this.expect(')')
    return out
  }

  private suffixed(): Expr {
    let e = this.primary()
    for (;;) {
      if (this.is('.')) {
        this.advance()
        e = { k: 'index', obj: e, key: { k: 'const', v: this.name() } }
      } else if (this.is('[')) {
        this.advance()
        const key = this.expr(0)
        this.expect(']')
        e = { k: 'index', obj: e, key }
      } else if (this.is(':')) {
        this.advance()
        const name = this.name()
        e = { k: 'method', obj: e, name, args: this.args() }
      } else if (this.is('(') || this.is('{') || this.tok.type === 'string') {
        e = { k: 'call', fn: e, args: this.args() }
      } else {
        return e
      }
    }
  }
}

/** Parses one expression; throws TemplateSyntaxError. */
export function parseExpression(src: string): Expr {
  return new Parser(new Lexer(src)).parseAll()
}

// ---------------------------------------------------------------------------------------------
// Interpreter

/** How a value is named in Lua's error messages: `global 'x'`, `field 'y'`, or nothing. */
function describe(e: Expr): string {
  if (e.k === 'name') return ` (global '${e.name}')`
  if (e.k === 'index' && e.key.k === 'const' && typeof e.key.v === 'string') return ` (field '${e.key.v}')`
  if (e.k === 'method') return ` (method '${e.name}')`
  return ''
}

function index(obj: LuaValue, key: LuaValue, expr: Expr): LuaValue {
  if (obj instanceof LuaTable) return obj.get(key)
  if (typeof obj === 'string') return STRING_LIB.get(key)
  throw new TemplateRuntimeError(`attempt to index a ${luaType(obj)} value${describe(expr)}`)
}

function arith(v: LuaValue, e: Expr): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    const n = stringToNumber(v)
    if (n !== undefined) return n
  }
  throw new TemplateRuntimeError(`attempt to perform arithmetic on a ${luaType(v)} value${describe(e)}`)
}

function concatPart(v: LuaValue, e: Expr): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return formatNumber(v)
  throw new TemplateRuntimeError(`attempt to concatenate a ${luaType(v)} value${describe(e)}`)
}

function equal(a: LuaValue, b: LuaValue): boolean {
  if (a instanceof LuaTable && b instanceof LuaTable) return a.raw === b.raw
  return a === b
}

function less(a: LuaValue, b: LuaValue, orEqual: boolean): boolean {
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))
    return orEqual ? a <= b : a < b
  const ta = luaType(a)
  const tb = luaType(b)
  throw new TemplateRuntimeError(
    ta === tb ? `attempt to compare two ${ta} values` : `attempt to compare ${ta} with ${tb}`,
  )
}

function call(fn: LuaValue, args: LuaValue[], e: Expr): LuaValue {
  if (fn instanceof LuaFunction) return fn.fn(args)
  throw new TemplateRuntimeError(`attempt to call a ${luaType(fn)} value${describe(e)}`)
}

/** Evaluates an expression tree; throws TemplateRuntimeError. */
export function evaluate(e: Expr, scope: TemplateScope): LuaValue {
  switch (e.k) {
    case 'const':
      return e.v
    case 'name':
      return scope.lookup(e.name)
    case 'index':
      return index(evaluate(e.obj, scope), evaluate(e.key, scope), e.obj)
    case 'call':
      return call(
        evaluate(e.fn, scope),
        e.args.map((a) => evaluate(a, scope)),
        e.fn,
      )
    case 'method': {
      const obj = evaluate(e.obj, scope)
      const fn = index(obj, e.name, e.obj)
      return call(fn, [obj, ...e.args.map((a) => evaluate(a, scope))], e)
    }
    case 'and': {
      const a = evaluate(e.a, scope)
      return truthy(a) ? evaluate(e.b, scope) : a
    }
    case 'or': {
      const a = evaluate(e.a, scope)
      return truthy(a) ? a : evaluate(e.b, scope)
    }
    case 'not':
      return !truthy(evaluate(e.a, scope))
    case 'neg':
      return -arith(evaluate(e.a, scope), e.a)
    case 'len': {
      const v = evaluate(e.a, scope)
      if (typeof v === 'string') return Buffer.byteLength(v, 'utf8')
      if (v instanceof LuaTable) return v.length()
      throw new TemplateRuntimeError(`attempt to get length of a ${luaType(v)} value${describe(e.a)}`)
    }
    case 'bin': {
      const a = evaluate(e.a, scope)
      const b = evaluate(e.b, scope)
      switch (e.op) {
        case '..':
          return concatPart(a, e.a) + concatPart(b, e.b)
        case '==':
          return equal(a, b)
        case '~=':
          return !equal(a, b)
        case '<':
          return less(a, b, false)
        case '<=':
          return less(a, b, true)
        case '>':
          return less(b, a, false)
        case '>=':
          return less(b, a, true)
      }
      const x = arith(a, e.a)
      const y = arith(b, e.b)
      switch (e.op) {
        case '+':
          return x + y
        case '-':
          return x - y
        case '*':
          return x * y
        case '/':
          return x / y
        case '%':
          return x - Math.floor(x / y) * y
        case '^':
          return x ** y
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Templates

export interface Template {
  readonly source: string
  /** Literal text and expressions; null when the value has no `$(…)` (used as is). */
  readonly parts: readonly (string | Expr)[] | null
  /** The first syntax error of an expression, reported when the template is used. */
  readonly error: string | null
  /** Kong's `%$%(.*%)` test: what `untrusted_lua = off` refuses. */
  readonly hasExpr: boolean
}

/** End of the balanced `(…)` opening at `open` (Lua's `%b()`, quotes not considered), or -1. */
function balanced(s: string, open: number): number {
  let depth = 0
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') depth++
    else if (s[i] === ')' && --depth === 0) return i
  }
  return -1
}

/** Splits a value into text and `$(…)` expressions, as Penlight's template compiler does. */
export function compileTemplate(source: string): Template {
  const hasExpr = /\$\([\s\S]*\)/.test(source)
  const parts: (string | Expr)[] = []
  let error: string | null = null
  let text = ''
  let found = false
  let i = 0
  while (i < source.length) {
    const c = source[i]
    if (c === '$' && source[i + 1] === '(') {
      const end = balanced(source, i + 1)
      if (end !== -1) {
        found = true
        if (text !== '') parts.push(text)
        text = ''
        try {
          parts.push(parseExpression(source.slice(i + 2, end)))
        } catch (err) {
          if (!(err instanceof TemplateSyntaxError)) throw err
          error ??= err.message
        }
        i = end + 1
        continue
      }
    }
    text += c
    i++
  }
  if (text !== '') parts.push(text)
  return { source, parts: found ? parts : null, error, hasExpr }
}

/** Renders a template: each expression's value, `''` for nil and false (`tostring(v or '')`). */
export function renderTemplate(t: Template, scope: TemplateScope): string {
  if (t.error !== null) throw new TemplateSyntaxError(t.error)
  if (t.parts === null) return t.source
  let out = ''
  for (const p of t.parts) {
    if (typeof p === 'string') out += p
    else {
      const v = evaluate(p, scope)
      if (truthy(v)) out += toLuaString(v)
    }
  }
  return out
}

/** A scope over the given request tables plus the built-in functions. */
export function scopeOf(tables: (name: string) => LuaValue): TemplateScope {
  return {
    lookup(name: string): LuaValue {
      const v = tables(name)
      if (v !== undefined) return v
      return BUILTINS.get(name)
    },
  }
}
