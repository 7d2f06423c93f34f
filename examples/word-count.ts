/**
 * The demo's workload, as plain functions both the actors and the single-threaded reference
 * use: generate a seeded document, tokenize it into normalized words, count them, and fold the
 * counts into an order-independent checksum. Nothing here knows about Skein.
 */

/** Syllables the generated words are made of; a word is 1-4 of them. */
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sha', 'to', 'vi', 'qua', 'zen', 'bor', 'eth', 'ix', 'yul', 'dra', 'po']
const SUFFIXES = ['', '', '', 's', 'ed', 'ing', 'ly', 'ness']
const PUNCTUATION = [' ', ' ', ' ', ' ', ', ', '. ', '; ', ' (', ') ', ' - ']

/** A small, fast seeded generator (mulberry32): the same seed gives the same document everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Document `id` of the corpus: 40-120 words with capitals, suffixes and punctuation. */
export function generateDocument(id: number, seed: number): string {
  const next = random(Math.imul(id + 1, 0x9e3779b1) ^ seed)
  const words = 40 + Math.floor(next() * 80)
  let text = ''
  for (let w = 0; w < words; w++) {
    // Skewed toward few syllables and low syllable indices, so some words are common (Zipf-like).
    const parts = 1 + Math.floor(next() * next() * 4)
    let word = ''
    for (let s = 0; s < parts; s++) word += SYLLABLES[Math.floor(next() * next() * SYLLABLES.length)]
    word += SUFFIXES[Math.floor(next() * SUFFIXES.length)]
    if (next() < 0.1) word = word[0]!.toUpperCase() + word.slice(1)
    text += word + PUNCTUATION[Math.floor(next() * PUNCTUATION.length)]
  }
  return text
}

/** Strip the suffixes the generator adds, so "Kalos", "kaloed" and "kalo" count as one word. */
function stem(word: string): string {
  for (const suffix of ['ness', 'ing', 'ed', 'ly', 's']) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) return word.slice(0, -suffix.length)
  }
  return word
}

/** Add the words of `text` to `counts`: lower-cased, split on anything but letters, stemmed. */
export function countWords(text: string, counts: Map<string, number>): number {
  let n = 0
  for (const token of text.toLowerCase().split(/[^a-z]+/)) {
    if (token.length === 0) continue
    const word = stem(token)
    counts.set(word, (counts.get(word) ?? 0) + 1)
    n++
  }
  return n
}

interface Tally {
  readonly word: string
  /** The counter partition that owns the word. */
  readonly owner: number
  /** Occurrences since the last take. */
  count: number
}

/**
 * Counts documents split by the partition that owns each word, for the tokenizers: the same
 * tokens as countWords, but each word is looked up once per occurrence in a table kept across
 * takes (it remembers the word's owner), and the words counted since the last take are listed
 * per owner as they first appear, so handing them on at a checkpoint needs no second pass.
 */
export class PartitionedCount {
  readonly #table = new Map<string, Tally>()
  readonly #touched: Tally[][]
  readonly #ownerOf: (word: string) => number

  constructor(owners: number, ownerOf: (word: string) => number) {
    this.#touched = Array.from({ length: owners }, () => [])
    this.#ownerOf = ownerOf
  }

  /** Count the words of `text`; returns how many there were. */
  add(text: string): number {
    let n = 0
    for (const token of text.toLowerCase().split(/[^a-z]+/)) {
      if (token.length === 0) continue
      const word = stem(token)
      let tally = this.#table.get(word)
      if (tally === undefined) this.#table.set(word, tally = { word, owner: this.#ownerOf(word), count: 0 })
      if (tally.count++ === 0) this.#touched[tally.owner]!.push(tally)
      n++
    }
    return n
  }

  /** The words owned by `owner` counted since the last take (joined by spaces) and their counts; resets them. */
  take(owner: number): { words: string; counts: Uint32Array } | null {
    const touched = this.#touched[owner]!
    if (touched.length === 0) return null
    const counts = new Uint32Array(touched.length)
    let words = ''
    for (let i = 0; i < touched.length; i++) {
      const tally = touched[i]!
      words += i === 0 ? tally.word : ' ' + tally.word
      counts[i] = tally.count
      tally.count = 0
    }
    touched.length = 0
    return { words, counts }
  }
}

/** FNV-1a of a string, 32 bits. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** One word's share of the checksum; the checksum is their sum mod 2^32, so order does not matter. */
export function entryHash(word: string, count: number): number {
  return (fnv1a(word) ^ Math.imul(count, 0x9e3779b1)) >>> 0
}

export interface Totals {
  /** Sum of entryHash over all words, mod 2^32. */
  checksum: number
  distinct: number
  words: number
}

export function totalsOf(counts: Map<string, number>): Totals {
  let checksum = 0
  let words = 0
  for (const [word, count] of counts) {
    checksum = (checksum + entryHash(word, count)) >>> 0
    words += count
  }
  return { checksum, distinct: counts.size, words }
}

/** The whole job on one thread, with no actors: the reference the demo must match. */
export function reference(items: number, seed: number): Totals {
  const counts = new Map<string, number>()
  for (let id = 0; id < items; id++) countWords(generateDocument(id, seed), counts)
  return totalsOf(counts)
}

/** Whether the work item starting at document `id` crashes the tokenizer that first handles it (a fraction `rate` of them). */
export function crashes(id: number, seed: number, rate: number): boolean {
  return (fnv1a(`crash:${seed}:${id}`) % 1_000_000) < rate * 1_000_000
}
