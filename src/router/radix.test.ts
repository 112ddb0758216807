import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type RadixNode, RadixTree } from './radix.js'

/** Values on the walk of `path`, root first: the keys that are prefixes of `path`. */
function walk(tree: RadixTree<string>, path: string): string[] {
  const out: string[] = []
  let node: RadixNode<string> = tree.root
  let pos = 0
  for (;;) {
    if (node.values) out.push(...node.values)
    if (pos >= path.length) return out
    const child = node.child(path.charCodeAt(pos))
    if (!child || !path.startsWith(child.label, pos)) return out
    pos += child.label.length
    node = child
  }
}

describe('RadixTree', () => {
  it('finds exactly the keys that are prefixes of the path', () => {
    const keys = ['/', '/a', '/a/b', '/a/bc', '/ab', '/b', '', '/a/b']
    const t = new RadixTree<string>()
    for (const [i, k] of keys.entries()) t.insert(k, `${k}#${i}`)
    t.finalize()
    assert.equal(t.size, keys.length)
    for (const path of ['/a/bcd', '/a/b', '/ab', '/x', '', '/a']) {
      const expected = keys.map((k, i) => [k, `${k}#${i}`]).filter(([k]) => path.startsWith(k))
      assert.deepEqual(walk(t, path).sort(), expected.map(([, v]) => v).sort(), path)
    }
  })

  it('random keys, wide nodes', () => {
    let seed = 7
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const alphabet = 'abcdefghijklmnopqrstuvwxyz/'
    const word = () => Array.from({ length: 1 + rnd(6) }, () => alphabet[rnd(alphabet.length)]).join('')
    const keys = Array.from({ length: 2000 }, () => `/${word()}`)
    const t = new RadixTree<number>()
    for (const [i, k] of keys.entries()) t.insert(k, i)
    t.finalize()
    for (let n = 0; n < 500; n++) {
      const path = `/${word()}${word()}`
      const got: number[] = []
      let node: RadixNode<number> = t.root
      let pos = 0
      for (;;) {
        if (node.values) got.push(...node.values)
        if (pos >= path.length) break
        const c = node.child(path.charCodeAt(pos))
        if (!c || !path.startsWith(c.label, pos)) break
        pos += c.label.length
        node = c
      }
      const expected = keys.flatMap((k, i) => (path.startsWith(k) ? [i] : []))
      assert.deepEqual(
        got.sort((a, b) => a - b),
        expected,
      )
    }
  })

  it('wide nodes: dense table for close first characters, Map for spread ones', () => {
    const close = new RadixTree<string>()
    for (const d of '0123456789') close.insert(`/${d}`, d)
    close.finalize()
    const node = close.root.child(0x2f) as RadixNode<string>
    assert.ok(node.table !== null)
    assert.deepEqual(walk(close, '/7x'), ['7'])
    assert.deepEqual(walk(close, '/a'), [])

    const spread = new RadixTree<string>()
    for (const c of ['!', '~', 'ø', '€', 'a', 'Z']) spread.insert(`/${c}`, c)
    spread.finalize()
    const wide = spread.root.child(0x2f) as RadixNode<string>
    assert.ok(wide.byFirst !== null)
    assert.deepEqual(walk(spread, '/€x'), ['€'])
    assert.deepEqual(walk(spread, '/ø'), ['ø'])
    assert.deepEqual(walk(spread, '/b'), [])
  })
})
