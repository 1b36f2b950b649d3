/**
 * A set of logins kept in layers, nearest OWNERS file first (Prow's layeredsets.String). Reviewer
 * selection draws from the nearest layer before falling back to people further up the tree, so the
 * layer a login was first seen in matters; a login is only ever kept in one layer.
 */
export class LayeredSet {
  private readonly layers: Set<string>[] = [];

  constructor(items: Iterable<string> = []) {
    this.insert(0, ...items);
  }

  insert(layer: number, ...items: string[]): void {
    while (this.layers.length < layer + 1) this.layers.push(new Set());
    const target = this.layers[layer]!;
    for (const item of items) {
      if (!this.has(item)) target.add(item);
    }
  }

  has(item: string): boolean {
    return this.layers.some((layer) => layer.has(item));
  }

  delete(...items: string[]): void {
    for (const layer of this.layers) for (const item of items) layer.delete(item);
  }

  get size(): number {
    return this.layers.reduce((total, layer) => total + layer.size, 0);
  }

  /** A copy without `excluded`, layers kept. */
  difference(excluded: ReadonlySet<string>): LayeredSet {
    const result = new LayeredSet();
    this.layers.forEach((layer, index) => {
      result.insert(index, ...[...layer].filter((item) => !excluded.has(item)).sort());
    });
    return result;
  }

  union(other: LayeredSet): LayeredSet {
    const result = new LayeredSet();
    this.layers.forEach((layer, index) => result.insert(index, ...[...layer].sort()));
    other.layers.forEach((layer, index) => result.insert(index, ...[...layer].sort()));
    return result;
  }

  /** Removes and returns a random member of the nearest non-empty layer, or undefined when empty. */
  popRandom(random: () => number): string | undefined {
    for (const layer of this.layers) {
      if (layer.size === 0) continue;
      const candidates = [...layer].sort();
      const chosen = candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))]!;
      this.delete(chosen);
      return chosen;
    }
    return undefined;
  }

  /** Members sorted within each layer, nearest layer first. */
  list(): string[] {
    return this.layers.flatMap((layer) => [...layer].sort());
  }

  toSet(): Set<string> {
    return new Set(this.list());
  }
}
