import { env } from "cloudflare:workers";
import type { TestDatabase } from "../../harness/worker";

/** Reports a figure for docs/RELIABILITY.md (collected by the Node setup). */
export async function reportFigure(name: string, figures: Record<string, unknown>): Promise<void> {
  await fetch(`${env.BENCH_COLLECTOR_URL}/result/${encodeURIComponent(name)}`, {
    method: "POST",
    body: JSON.stringify(figures),
  });
}

export const chaosRuns = () => Math.max(50, Number(env.CHAOS_RUNS || "600"));

/** Arms a connection fault in the WebSocket proxy for this test database only. */
export async function dbFault(
  db: TestDatabase,
  fault: { mode: "drop-before" | "drop-after" | "none"; at?: number; times?: number },
) {
  const u = new URL(db.url);
  const database = `${u.port || "5432"}/${u.pathname.slice(1) || "postgres"}`;
  await fetch(`http://${env.DB_WS_PROXY}/__faults`, {
    method: "POST",
    body: JSON.stringify({ database, ...fault }),
  });
}
