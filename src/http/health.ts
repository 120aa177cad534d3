import { Hono } from "hono";
import type { HonoEnv } from "./context";

export const health = new Hono<HonoEnv>();

// Liveness only: answers without touching the database, so it tells "the Worker can serve".
health.get("/", (c) => c.json({ status: "ok" }));
