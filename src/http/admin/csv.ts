import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';
import { mapDbErrors } from './db-errors.js';

type Cell = string | number | boolean | null | undefined;

/** One column of a CSV export: its header and how a row gives its value. */
export interface CsvColumn<T> {
  header: string;
  value: (row: T) => Cell;
  /** Free text a user or client wrote (emails, notes, messages): escaped so a spreadsheet never runs it as a formula. */
  text?: boolean;
}

/** An export's columns, in the order the admin API's description gives their headers (src/sdk/admin-api). */
export function csvColumns<T, H extends string>(headers: readonly H[], values: Record<H, (row: T) => Cell>, text: readonly H[] = []): CsvColumn<T>[] {
  return headers.map((header) => ({ header, value: values[header], text: text.includes(header) }));
}

/** "2026-03-01T10:00:00.000Z" → "20260301T100000Z", for file names. */
export const fileTime = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+/, '');

/** OWASP's CSV injection guard: a cell starting with one of these is shown as text, not evaluated. */
const FORMULA_START = /^[=+\-@\t\r]/;

function cell<T>(c: CsvColumn<T>, row: T): Cell {
  const v = c.value(row);
  return c.text && typeof v === 'string' && FORMULA_START.test(v) ? `'${v}` : v;
}

/**
 * Writes pages of rows as CSV (RFC 4180, header first) to `out`, pulling the next page only when
 * `out` has taken the previous ones: memory holds about one page, however many rows there are.
 */
export async function writeCsv<T>(out: Writable, columns: CsvColumn<T>[], pages: AsyncIterable<T[]>): Promise<void> {
  async function* records() {
    for await (const page of pages) for (const row of page) yield columns.map((c) => cell(c, row));
  }
  await pipeline(Readable.from(records()), stringify({ header: true, columns: columns.map((c) => c.header) }), out);
}

/**
 * Streams an export as a CSV download. The first page is read before anything is sent, so a bad
 * filter is still an ordinary 4xx; a failure later cuts the download short (the client sees an
 * incomplete transfer, never a file that looks whole).
 */
export async function sendCsv<T>(res: Response, filename: string, columns: CsvColumn<T>[], pages: AsyncGenerator<T[]>): Promise<void> {
  const first = await mapDbErrors(() => pages.next());
  async function* all(): AsyncGenerator<T[]> {
    if (first.done) return;
    yield first.value;
    yield* pages;
  }
  res.status(200);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${filename}"`);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  try {
    await writeCsv(res, columns, all());
  } catch (err) {
    res.destroy(err as Error);
  }
}
