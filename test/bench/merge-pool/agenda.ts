/**
 * What the simulated world has scheduled (jobs finishing, authors rebasing, retests), earliest
 * first; ties in the order they were scheduled, so a run is reproducible.
 */
export class Agenda<T> {
  private readonly heap: { at: number; order: number; item: T }[] = [];
  private scheduled = 0;

  /** When the earliest item is due; undefined when nothing is scheduled. */
  get nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  add(at: number, item: T): void {
    const entry = { at, order: this.scheduled++, item };
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!earlier(entry, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  /** The earliest item due at or before `time`, removed; undefined when none is. */
  takeDue(time: number): { at: number; item: T } | undefined {
    const heap = this.heap;
    const first = heap[0];
    if (!first || first.at > time) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
        if (!earlier(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return { at: first.at, item: first.item };
  }
}

function earlier(a: { at: number; order: number }, b: { at: number; order: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
