/** Small SQL builders shared by the query modules. Column names always come from fixed maps, never from input. */

/** Builds "col1 = $2, col2 = $3" from the fields present in `body`, in the order of `columns`. */
export function setClause(body: object, columns: Record<string, string>, firstParam: number): { sql: string; values: unknown[] } {
  const fields = body as Record<string, unknown>;
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, column] of Object.entries(columns)) {
    if (fields[field] === undefined) continue;
    values.push(fields[field]);
    parts.push(`${column} = $${firstParam + values.length - 1}`);
  }
  return { sql: parts.join(', '), values };
}

/** A timestamptz as the ISO 8601 text JavaScript writes ("2025-01-02T03:04:05.678Z"), so answers carry strings, not Dates. */
export function isoTime(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
