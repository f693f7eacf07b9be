/**
 * Group commit: items submitted in the same event-loop turn (and while earlier batches are in
 * flight) go to the database together in one call. Each caller gets its own result.
 */
export interface BatcherOptions {
  /** Most items per call. */
  maxBatch: number;
  /** Most calls in flight at once; further items wait and join the next batch. */
  maxInFlight: number;
  /**
   * Whether a failed call may have failed for one of its items (bad data) rather than for all
   * (the database is down). Such a batch is split in halves and each half run again, so a bad
   * item fails alone and never holds the others hostage.
   */
  itemMayBeAtFault?: (err: unknown) => boolean;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (err: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  /** run(items) must return exactly one result per item, in order. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    let results: O[];
    try {
      results = await this.run(batch.map((p) => p.item));
    } catch (err) {
      if (batch.length > 1 && this.opts.itemMayBeAtFault?.(err)) {
        const mid = batch.length >> 1;
        await this.runBatch(batch.slice(0, mid));
        await this.runBatch(batch.slice(mid));
      } else for (const p of batch) p.reject(err);
      return;
    }
    if (results.length !== batch.length) {
      const err = new Error(`batch returned ${results.length} results for ${batch.length} items`);
      for (const p of batch) p.reject(err);
    } else batch.forEach((p, i) => p.resolve(results[i]!));
  }
}
