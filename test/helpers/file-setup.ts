import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import { createTestDatabase, type TestDatabase, type TestDeps } from "../../harness/worker";

/**
 * Race and plan tests prove something only on real Postgres (PGlite is one serialised session with
 * other plans). On the embedded fallback they are skipped, loudly; under CI Postgres is required.
 */
export const describeOnPostgres = (() => {
  if (env.TEST_DATABASE_KIND !== "postgres") {
    console.warn(`[test] race and plan tests skipped: they need PostgreSQL, this run has ${env.TEST_DATABASE_KIND}`);
  }
  return describe.skipIf(env.TEST_DATABASE_KIND !== "postgres");
})();

/**
 * The hooks every worker test file needs: a database of its own (of `shape`, handed to `setDb`) with
 * the file's shared rows from `seed`; before each test `reset` (clear what earlier tests left that
 * this file's tests must not see, in any order), then fresh deps from `deps`, the previous ones
 * closed. After the file: `after` (a figure report, say), then the deps and the database closed.
 */
export function fileSetup(o: {
  shape?: "ours" | "storefront";
  setDb(db: TestDatabase): void;
  seed?(db: TestDatabase): Promise<unknown>;
  reset?(db: TestDatabase): Promise<unknown>;
  deps?(db: TestDatabase): TestDeps;
  after?(): Promise<unknown>;
  /** For the database and its seed, when the seed is big (the plan tests' 100k-row tables). */
  timeoutMs?: number;
}): void {
  let db: TestDatabase | undefined;
  let deps: TestDeps | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(o.shape);
    o.setDb(db);
    await o.seed?.(db);
  }, o.timeoutMs);
  beforeEach(async () => {
    if (!db) throw new Error("the file's test database was not created");
    await o.reset?.(db);
    await deps?.close();
    deps = o.deps?.(db);
  });
  afterAll(async () => {
    await o.after?.();
    await deps?.close();
    await db?.close();
  });
}
