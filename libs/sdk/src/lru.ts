/** Remembers the last `size` keys (insertion order): de-duplication of message ids, bounded. */
export class RecentIds {
  private readonly seen = new Set<string>();
  constructor(private readonly size: number) {}

  /** True when `id` was seen before; otherwise remembers it (forgetting the oldest if full). */
  check(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    if (this.seen.size > this.size) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }

  clear(): void {
    this.seen.clear();
  }
}
