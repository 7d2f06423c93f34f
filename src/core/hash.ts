/** FNV-1a, 32 bits, over the UTF-16 code units of a string: stable across threads and runs. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Hash of a placement key: strings and numbers hash by their string form. */
export function hashKey(key: string | number): number {
  return hashString(typeof key === 'string' ? key : `#${key}`)
}
