import { type SQL, sql } from "drizzle-orm";

/** A text[] from one JSON parameter (drizzle would otherwise spread a JS array into a list). */
export function textArray(values: readonly string[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}
