// Sorting that is identical on every machine: code-unit order, never the locale's.

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedBy<T>(items: Iterable<T>, key: (item: T) => string): T[] {
  return [...items].sort((a, b) => compare(key(a), key(b)));
}
