import type { Db } from "./client";

/** Anything that can run a statement: the pool-backed Db or a transaction inside it. */
export type Executor = Pick<Db, "execute">;
