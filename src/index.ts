import { handleQueue } from "./email/queue-handler";
import { app } from "./http/app";
import { handleScheduled } from "./scheduler/handler";

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
  queue: handleQueue,
} satisfies ExportedHandler<Env, unknown>;
