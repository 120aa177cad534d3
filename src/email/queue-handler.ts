import { createLogger } from "../lib/log";

/** Placeholder until the email pipeline lands: retries everything, never acks and drops. */
export async function handleQueue(batch: MessageBatch<unknown>, _env: Env, _ctx: ExecutionContext) {
  createLogger({ service: "ora-jobs" }).warn("queue.unhandled", { queue: batch.queue, size: batch.messages.length });
  batch.retryAll({ delaySeconds: 60 });
}
