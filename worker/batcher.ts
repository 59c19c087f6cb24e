/**
 * @module worker/batcher — gathers what is submitted in the same tick into batches of at most
 * `maxSize`, sends each batch once, and settles every submission with its batch's outcome.
 */
export type SendBatch<T> = (batch: T[]) => Promise<void>;

export function createBatcher<T>(send: SendBatch<T>, maxSize: number): (item: T) => Promise<void> {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`maxSize must be a positive integer, got ${maxSize}.`);
  let pending: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const flush = () => {
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += maxSize) {
      const part = all.slice(i, i + maxSize);
      Promise.resolve(part.map((p) => p.item)).then(send).then(
        () => part.forEach((p) => p.resolve()),
        (error: unknown) => part.forEach((p) => p.reject(error)),
      );
    }
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      if (pending.length === 0) queueMicrotask(flush);
      pending.push({ item, resolve, reject });
    });
}
