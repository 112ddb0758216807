// Compressed prefix tree (radix tree) over UTF-16 code units. Every key inserted ends at a node
// (edges are split on insertion), so walking a request path from the root visits exactly the
// nodes whose key is a prefix of the path: the candidates of prefix matching, with no segment
// boundary rule (router.md §3.2). Code-unit prefixes of well-formed strings are byte prefixes
// of their UTF-8 encodings, which is what Kong compares.
import { runSync, Slicer, type Steps } from './slicer.js'

/**
 * Children are looked up by first code unit: a linear scan up to this fan-out, then a dense
 * table over the range of first code units when it is small (digits, letters), else a Map.
 */
const LINEAR_CHILDREN = 4
const MAX_TABLE_SPAN = 96
/** Nodes finalized between two checks of the build's slicer. */
const FINALIZE_STRIDE = 256

export class RadixNode<E> {
  /** Values stored at this node's key, in insertion order. */
  values: E[] | null = null
  /** First code unit of each child's label, parallel to `children`. */
  firsts: number[] | null = null
  children: RadixNode<E>[] | null = null
  /** Built by `finalize()` for wide nodes: `table[code - tableBase]`, or a Map. */
  table: Array<RadixNode<E> | undefined> | null = null
  tableBase = 0
  byFirst: Map<number, RadixNode<E>> | null = null

  constructor(
    /** Label of the edge from the parent (empty for the root). */
    public label: string,
  ) {}

  child(code: number): RadixNode<E> | undefined {
    const table = this.table
    if (table !== null) {
      const i = code - this.tableBase
      return i >= 0 && i < table.length ? table[i] : undefined
    }
    if (this.byFirst !== null) return this.byFirst.get(code)
    const firsts = this.firsts
    if (firsts === null) return undefined
    for (let i = 0; i < firsts.length; i++)
      if (firsts[i] === code) return (this.children as RadixNode<E>[])[i]
    return undefined
  }
}

export class RadixTree<E> {
  readonly root = new RadixNode<E>('')
  /** Number of values stored. */
  size = 0

  /** Adds `value` at `key` (several values may share a key). */
  insert(key: string, value: E): void {
    let node = this.root
    let pos = 0
    for (;;) {
      if (pos === key.length) {
        if (node.values === null) node.values = [value]
        else node.values.push(value)
        this.size++
        return
      }
      const code = key.charCodeAt(pos)
      const firsts = node.firsts
      const idx = firsts === null ? -1 : firsts.indexOf(code)
      if (idx === -1) {
        const leaf = new RadixNode<E>(key.slice(pos))
        leaf.values = [value]
        this.size++
        if (firsts === null) {
          node.firsts = [code]
          node.children = [leaf]
        } else {
          firsts.push(code)
          ;(node.children as RadixNode<E>[]).push(leaf)
        }
        return
      }
      const children = node.children as RadixNode<E>[]
      const child = children[idx]
      const label = child.label
      let common = 1 // the first code unit matched through `firsts`
      const max = Math.min(label.length, key.length - pos)
      while (common < max && label.charCodeAt(common) === key.charCodeAt(pos + common)) common++
      if (common < label.length) {
        // Split the edge: node → mid (label[0..common)) → child (label[common..]).
        const mid = new RadixNode<E>(label.slice(0, common))
        child.label = label.slice(common)
        mid.firsts = [child.label.charCodeAt(0)]
        mid.children = [child]
        children[idx] = mid
        node = mid
      } else {
        node = child
      }
      pos += common
    }
  }

  /** Builds the child maps of wide nodes; call once after the last insert. */
  finalize(): void {
    runSync(this.finalizeSteps(Slicer.never))
  }

  /** `finalize()` in slices. */
  *finalizeSteps(slicer: Slicer): Steps<void> {
    const stack: RadixNode<E>[] = [this.root]
    let stride = FINALIZE_STRIDE
    while (stack.length > 0) {
      const node = stack.pop() as RadixNode<E>
      const children = node.children
      if (children === null) continue
      if (children.length > LINEAR_CHILDREN) {
        const firsts = node.firsts as number[]
        let lo = firsts[0]
        let hi = firsts[0]
        for (let i = 1; i < firsts.length; i++) {
          if (firsts[i] < lo) lo = firsts[i]
          else if (firsts[i] > hi) hi = firsts[i]
        }
        const span = hi - lo + 1
        if (span <= MAX_TABLE_SPAN) {
          const table = new Array<RadixNode<E> | undefined>(span).fill(undefined)
          for (let i = 0; i < children.length; i++) table[firsts[i] - lo] = children[i]
          node.table = table
          node.tableBase = lo
        } else {
          node.byFirst = new Map()
          for (let i = 0; i < children.length; i++) node.byFirst.set(firsts[i], children[i])
        }
      }
      for (const c of children) stack.push(c)
      if (--stride === 0) {
        stride = FINALIZE_STRIDE
        if (slicer.due()) yield
      }
    }
  }
}
