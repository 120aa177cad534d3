import { openDeps } from "../lib/deps";
import { consumeDeadLetters, consumeEmailBatch } from "./consumer";

/** Dispatches by queue: the email queue and its dead-letter queue are both consumed here. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) {
  const deps = openDeps(env);
  try {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(deps, batch, deps.clock());
    else await consumeEmailBatch(deps, batch, deps.clock());
  } finally {
    ctx.waitUntil(deps.close());
  }
}
