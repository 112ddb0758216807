import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { prepareConf } from './handler.js'
import { isJsonContentType, jsonValue, transformJson } from './json.js'

const none = { json: [], headers: [] }
const typed = { json: [], json_types: [], headers: [] }
function ops(c: Record<string, unknown>) {
  return prepareConf({ remove: none, rename: none, replace: typed, add: typed, append: typed, ...c }).json
}

describe('response-transformer JSON bodies', () => {
  it("converts configured values as Kong's json_value does", () => {
    assert.equal(jsonValue('v1', undefined), 'v1')
    assert.equal(jsonValue('a/b "q"', 'string'), 'a/b "q"')
    assert.equal(jsonValue('a\\b', undefined), 'a\\\\b')
    assert.equal(jsonValue('12', 'number'), 12)
    assert.equal(jsonValue('0x10', 'number'), 16)
    assert.equal(jsonValue('twelve', 'number'), undefined)
    assert.equal(jsonValue('true', 'boolean'), true)
    assert.equal(jsonValue('yes', 'boolean'), false)
    assert.equal(jsonValue(null, undefined), 'null')
  })

  it('applies remove → rename → replace → add → append on top-level keys', () => {
    const o = ops({
      remove: { json: ['gone'], headers: [] },
      rename: { json: ['old:new'], headers: [] },
      replace: { json: ['r:1', 'missing:x', 'f:y'], json_types: ['number'], headers: [] },
      add: { json: ['a:true', 'r:no', 'f:now'], json_types: ['boolean'], headers: [] },
      append: { json: ['list:3', 's:t', 'n:x'], json_types: ['number'], headers: [] },
    })
    const body = JSON.stringify({ gone: 1, old: 'o', r: 'x', f: false, list: [1, 2], s: 's', n: null })
    assert.deepEqual(JSON.parse(transformJson(o, body)!), {
      new: 'o',
      r: 1,
      f: 'now',
      a: true,
      list: [1, 2, 3],
      s: ['s', 't'],
      n: ['x'],
    })
  })

  it('replaces null values (a value in Lua), not false; a failed cast skips the entry', () => {
    const o = ops({
      replace: { json: ['a:v', 'b:v', 'c:nan'], json_types: ['string', 'string', 'number'], headers: [] },
    })
    assert.deepEqual(JSON.parse(transformJson(o, '{"a":null,"b":false,"c":1}')!), { a: 'v', b: false, c: 1 })
  })

  it('leaves invalid JSON to the caller and other JSON values unchanged', () => {
    const o = ops({ add: { json: ['a:1'], json_types: [], headers: [] } })
    assert.equal(transformJson(o, 'not json'), undefined)
    assert.equal(transformJson(o, ''), undefined)
    assert.equal(transformJson(o, '[1, 2]'), '[1,2]')
    assert.equal(transformJson(o, '"text"'), '"text"')
  })

  it('keeps `__proto__` an ordinary key', () => {
    const o = ops({ add: { json: ['__proto__:x'], json_types: [], headers: [] } })
    assert.equal(transformJson(o, '{}'), '{"__proto__":"x"}')
  })

  it("recognizes JSON media types as Kong's mime_type parser does", () => {
    assert.equal(isJsonContentType('application/json'), true)
    assert.equal(isJsonContentType('application/json; charset=utf-8'), true)
    assert.equal(isJsonContentType('Application/JSON'), true)
    assert.equal(isJsonContentType('application/vnd.api+json'), true)
    assert.equal(isJsonContentType('text/html, application/json'), true)
    assert.equal(isJsonContentType('application/json;'), false)
    assert.equal(isJsonContentType('text/json'), false)
    assert.equal(isJsonContentType('application/jsonx'), false)
    assert.equal(isJsonContentType('*/*'), false)
    assert.equal(isJsonContentType(null), false)
  })
})
