import { consumeDeadLetters, consumeEmailBatch } from "../email/consumer";
import { openDeps } from "./open-deps";

/**
 * Dispatches by the queue a batch came from, as configured (EMAIL_QUEUE_NAME, EMAIL_DLQ_NAME): the
 * email queue and its dead-letter queue are both consumed here. A batch from any other queue is an
 * error of configuration: it is retried (and so dead-lettered in the end), never guessed at.
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) {
  const deps = openDeps(env);
  try {
    if (batch.queue === deps.config.EMAIL_DLQ_NAME) await consumeDeadLetters(deps, batch, deps.clock());
    else if (batch.queue === deps.config.EMAIL_QUEUE_NAME) await consumeEmailBatch(deps, batch, deps.clock());
    else {
      deps.log.error("queue.unknown", {
        queue: batch.queue,
        expected: [deps.config.EMAIL_QUEUE_NAME, deps.config.EMAIL_DLQ_NAME],
      });
      batch.retryAll();
    }
  } finally {
    ctx.waitUntil(deps.close());
  }
}
