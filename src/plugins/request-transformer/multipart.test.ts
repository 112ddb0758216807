import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { boundaryOf, MultipartBody, parseMultipart, serializeMultipart } from './multipart.js'

const body = Buffer.from(
  'preamble\r\n' +
    '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n' +
    '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\xff\r\n\r\n' +
    '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n2\r\n' +
    '--XyZ--\r\n',
  'latin1',
)

describe('request-transformer multipart bodies', () => {
  it('reads the boundary of a Content-Type, quoted or not', () => {
    assert.equal(boundaryOf('multipart/form-data; boundary=XyZ'), 'XyZ')
    assert.equal(boundaryOf('multipart/form-data; boundary="a b"'), '"a')
    assert.equal(boundaryOf('multipart/form-data;boundary="ab"'), 'ab')
    assert.equal(boundaryOf('multipart/form-data'), null)
  })

  it('splits parts, keeping headers and bytes (files included)', () => {
    const parts = parseMultipart(body, 'XyZ')
    assert.deepEqual(
      parts.map((p) => p.name),
      ['a', 'file', 'a'],
    )
    assert.equal(parts[0].value.toString(), '1')
    assert.deepEqual([...parts[1].value], [0x00, 0xff, 0x0d, 0x0a])
    assert.equal(parts[1].headers[1], 'Content-Type: application/octet-stream')
  })

  it("applies Kong's library operations and writes the body back with the same boundary", () => {
    const mp = new MultipartBody(parseMultipart(body, 'XyZ'))
    mp.setSimple('a', 'first')
    mp.setSimple('b', 'added')
    assert.equal(mp.get('a')?.value.toString(), 'first')
    mp.delete('a')
    assert.equal(mp.get('a'), undefined)
    const out = serializeMultipart(mp.parts, 'XyZ')
    const again = parseMultipart(out, 'XyZ')
    assert.deepEqual(
      again.map((p) => p.name),
      ['file', 'b'],
    )
    assert.deepEqual([...again[0].value], [0x00, 0xff, 0x0d, 0x0a])
    assert.ok(out.toString('latin1').endsWith('--XyZ--\r\n'))
    assert.equal(serializeMultipart([], 'XyZ').length, 0)
  })
})
