import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizePath } from './uri.js'

// Cases from Kong's spec/01-unit/18-tools_uri_spec.lua (merge_slashes = false unless noted).
describe('normalizePath', () => {
  it('leaves normalized paths alone', () => {
    for (const p of ['', '/', '/a', '/a/', '/a/b/c', '/a/b/c/']) assert.equal(normalizePath(p, false), p)
  })

  it('keeps reserved escapes, decodes the others', () => {
    assert.equal(normalizePath('/a%2Fb%2Fc/', false), '/a%2Fb%2Fc/')
    assert.equal(
      normalizePath('/%20%21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D', false),
      '/ %21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
    )
  })

  it('upper-cases reserved escapes', () => {
    assert.equal(normalizePath('/a%2fb%2fc/', false), '/a%2Fb%2Fc/')
    assert.equal(normalizePath('/f%6f%6f', false), '/foo')
  })

  it('decodes unreserved escapes, dots included', () => {
    assert.equal(normalizePath('/%6B%6f%6e%67', false), '/kong')
    assert.equal(normalizePath('/%2E', false), '/')
  })

  it('removes dot segments', () => {
    assert.equal(normalizePath('//', false), '//')
    assert.equal(normalizePath('/./', false), '/')
    assert.equal(normalizePath('/.', false), '/')
    assert.equal(normalizePath('/..', false), '/')
    assert.equal(normalizePath('/../', false), '/')
    assert.equal(normalizePath('/////', false), '/////')
    assert.equal(normalizePath('/./.././../', false), '/')
    assert.equal(normalizePath('/a/b/c/./../../g', false), '/a/g')
    assert.equal(normalizePath('mid/content=5/../6', false), 'mid/6')
    assert.equal(normalizePath('/a/b/..', false), '/a/')
  })

  it('merges slashes (the default)', () => {
    assert.equal(normalizePath('//'), '/')
    assert.equal(normalizePath('/////'), '/')
    assert.equal(normalizePath('/a//b//'), '/a/b/')
  })

  it('decodes UTF-8 sequences and keeps invalid bytes escaped', () => {
    assert.equal(normalizePath('/endel%C3%B8st', false), '/endeløst')
    assert.equal(normalizePath('/%F0%9F%A6%8D', false), '/🦍')
    // Kong yields raw bytes 0x99 0xAF here; a JS string keeps them as escapes.
    assert.equal(
      normalizePath('/%C3%A4/a/%2e./a%2E//a/%2e/./a/../a/%2e%2E/%5f%99%af%2f%2F'),
      '/ä/a./a/_%99%AF%2F%2F',
    )
    assert.equal(normalizePath('/%c3', false), '/%C3')
    assert.equal(normalizePath('/%C3%41', false), '/%C3A')
    assert.equal(normalizePath('/%ED%A0%80', false), '/%ED%A0%80') // encoded surrogate
  })

  it('leaves malformed escapes untouched', () => {
    assert.equal(normalizePath('/a%2', false), '/a%2')
    assert.equal(normalizePath('/a%zz/b', false), '/a%zz/b')
  })
})
