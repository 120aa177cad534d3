import { app } from "./http/app";
import { handleQueue } from "./wiring/queue";
import { handleScheduled } from "./wiring/scheduled";

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
  queue: handleQueue,
} satisfies ExportedHandler<Env, unknown>;
