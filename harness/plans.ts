import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { TestDatabase } from "./worker";

const dialect = new PgDialect();

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  /** Every index the plan reads. */
  indexes: string[];
  /** Tables read by a sequential scan. */
  seqScans: string[];
  text: string;
}

/** EXPLAINs exactly the statement a task runs (without executing it). */
export async function explain(
  db: TestDatabase,
  statement: SQL | { toSQL(): { sql: string; params: unknown[] } },
): Promise<PlanSummary> {
  // A raw statement, or a typed Drizzle query exactly as it would be sent.
  const { sql, params } = "toSQL" in statement ? statement.toSQL() : dialect.sqlToQuery(statement);
  const [row] = await db.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(`explain (format json) ${sql}`, params);
  const root = row?.["QUERY PLAN"][0].Plan;
  const indexes: string[] = [];
  const seqScans: string[] = [];
  const walk = (n: PlanNode | undefined) => {
    if (!n) return;
    if (n["Index Name"]) indexes.push(n["Index Name"]);
    if (n["Node Type"] === "Seq Scan" && n["Relation Name"]) seqScans.push(n["Relation Name"]);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(root);
  return { indexes, seqScans, text: JSON.stringify(root) };
}
