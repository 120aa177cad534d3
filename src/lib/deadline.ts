/**
 * The one timeout helper: runs `work` for at most `ms`. When time is up, `expired()` gives the
 * answer (or throws) first, then `work`'s signal is aborted, so work that stops the moment it sees
 * the abort still loses the race.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  expired: () => T,
): Promise<T> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(expired());
      } catch (err) {
        reject(err);
      }
      ac.abort(new Error(`deadline of ${ms} ms passed`));
    }, ms);
  });
  try {
    return await Promise.race([work(ac.signal), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
