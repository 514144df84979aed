// Sorting that is identical on every machine: code-unit order, never the locale's.

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedBy<T>(items: Iterable<T>, key: (item: T) => string): T[] {
  return [...items].sort((a, b) => compare(key(a), key(b)));
}

/**
 * `items` sorted in place in the order of `compare`: Array.prototype.sort without a comparator compares
 * strings by UTF-16 code units, which is that order, in native code (at 10,000 ids, several times faster
 * than calling `compare` ~130,000 times).
 */
export function sortStrings<T extends string[]>(items: T): T {
  return items.sort();
}
