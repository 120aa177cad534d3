/**
 * Runs `work` over `items` with at most `limit` in flight. `shouldStart` is asked before each item;
 * once it says no, the rest are left for later and counted as not started.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  shouldStart: () => boolean = () => true,
): Promise<{ started: number }> {
  let next = 0;
  let started = 0;
  const lane = async () => {
    for (;;) {
      if (next >= items.length || !shouldStart()) return;
      const item = items[next++] as T;
      started++;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return { started };
}
