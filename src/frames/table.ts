import { DataFrame, Field, FieldType } from '@grafana/data';

import type { RawValues, WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { parseCsvRecords } from './csv';
import { latestInRange } from '../buffers/increase';
import { counterIncrease } from './histogram';

/**
 * The complete records of printf CSV output and its header. The text grows while bpftrace prints:
 * a last line without its '\n' (or a quoted field still open) is left out until it is complete.
 */
function completeCsv(text: string): string[][] {
  const end = text.lastIndexOf('\n');
  if (end < 0) {
    return [];
  }
  const { records, unterminated } = parseCsvRecords(text.slice(0, end + 1));
  return unterminated ? records.slice(0, -1) : records;
}

/**
 * Whether printf output is a CSV table with a header: a complete first line of at least two
 * comma-separated names, and at least one complete data line, every complete data line having as
 * many fields as the header. (A partial last line is not judged.)
 *
 * A little stricter than "two fields", so that ordinary text with a comma in it does not turn
 * into a table: no header name may be empty or a number (`tick 1, 2` is not a header).
 */
export function looksLikeCsvTable(text: string): boolean {
  const records = completeCsv(text);
  if (records.length < 2) {
    return false;
  }
  const header = records[0];
  if (header.length < 2 || header.some((name) => name.trim() === '' || parseNumber(name) !== undefined)) {
    return false;
  }
  return records.every((r) => r.length === header.length);
}

/**
 * CSV text of the header line of `text` (the PMDA's output: header first) and `lines` (e.g. the
 * lines that arrived in the selected range). Lines equal to the header are left out: the header
 * is among the lines when the range covers the script's start.
 */
export function csvTextOf(text: string, lines: readonly string[]): string {
  const nl = text.indexOf('\n');
  const header = nl < 0 ? text : text.slice(0, nl).replace(/\r$/, '');
  const rows = lines.filter((line) => line !== header);
  return [header, ...rows].map((line) => `${line}\n`).join('');
}

export interface CsvTableFrameOptions {
  refId: string;
  variable: string;
}

/**
 * A table from CSV printf output (with `// table-retain-lines: N` the PMDA keeps the header line
 * and the last N lines): columns from the header, one row per complete data line. A column is a
 * number column when it has at least one value and every non-empty value is a number (empty → null);
 * otherwise a string column. Values are trimmed. Rows with too few fields are padded with '',
 * extra fields dropped.
 */
export function buildCsvTableFrame(text: string, options: CsvTableFrameOptions): DataFrame {
  const records = completeCsv(text);
  const header = records.length > 0 ? records[0].map((name) => name.trim()) : [];
  const rows = records.slice(1);
  const fields: Field[] = header.map((name, col) => {
    // Trimmed: printf CSV is often written with ', ' between the fields.
    const cells = rows.map((r) => (r[col] ?? '').trim());
    const numbers = numericColumn(cells);
    return numbers
      ? { name, type: FieldType.number, config: {}, values: numbers }
      : { name, type: FieldType.string, config: {}, values: cells };
  });
  return {
    refId: options.refId,
    name: options.variable,
    fields,
    length: rows.length,
    meta: { preferredVisualisationType: 'table' },
  };
}

/** The column as numbers, or undefined when it is not a number column. */
function numericColumn(cells: readonly string[]): Array<number | null> | undefined {
  const out: Array<number | null> = [];
  let any = false;
  for (const cell of cells) {
    if (cell.trim() === '') {
      out.push(null);
      continue;
    }
    const n = parseNumber(cell);
    if (n === undefined) {
      return undefined;
    }
    out.push(n);
    any = true;
  }
  return any ? out : undefined;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A decimal number, or undefined. Not a number, so that the column stays text and nothing is
 * silently changed: hex (`0x1f`), anything with a leading zero (`0644`, a mode), and integers
 * too large for a double to hold exactly (u64 addresses, cookies).
 */
function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (!DECIMAL.test(s)) {
    return undefined;
  }
  const digits = s.replace(/^[+-]/, '');
  if (/^0\d/.test(digits)) {
    return undefined;
  }
  const n = Number(s);
  if (!Number.isFinite(n) || (/^\d+$/.test(digits) && !Number.isSafeInteger(n))) {
    return undefined;
  }
  return n;
}

export interface MapTableFrameOptions {
  refId: string;
  variable: string;
  /** Names of the key parts (`['comm', 'pid']` for `@x[comm, pid]`); default key0, key1… (or `key`). */
  keyNames?: readonly string[];
  /** Keep only the N rows with the largest values. */
  topN?: number;
  /** The selected time range in ms (`to` may be Infinity); without it, the whole buffer. */
  from?: number;
  to?: number;
  /** The unit of the value column. */
  unit?: string;
  /** The value column's name; default the variable. */
  valueName?: string;
}

interface MapRow {
  key: string;
  value: number;
}

/**
 * A map as a table, like biotop / tcptop / syscount print it: one string column per key part,
 * then the value, largest first (ties by key), optionally only the top N.
 * - Counters (count(), sum()): how much each key grew during [from, to] (see counterIncrease), and
 *   only keys that grew: a key with no events in the range is not "top" of anything, and a map
 *   keyed by pid would otherwise list every process that ever ran in the retention.
 * - Other values (max(), min(), plain assignments): the latest value in the range; keys without
 *   one are left out.
 * A key column whose every part is a decimal number (pid, cpu, syscall id, port) is a number
 * column, so it sorts as numbers (2 before 10); others stay strings. Numbers that are
 * identifiers get no unit.
 */
export function buildMapTableFrame(buffer: WideSeriesBuffer, options: MapTableFrameOptions): DataFrame {
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const times = buffer.times;
  const rows: MapRow[] = [];
  for (const key of buffer.keys()) {
    const column = buffer.values(key) as RawValues;
    const value = buffer.counter ? counterIncrease(times, column, from, to) : latestInRange(times, column, from, to);
    if (value !== null && (!buffer.counter || value > 0)) {
      rows.push({ key, value });
    }
  }
  rows.sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const top = options.topN !== undefined && options.topN > 0 ? rows.slice(0, Math.floor(options.topN)) : rows;

  const keys = buffer.keys();
  // A scalar (its only key is '') has no key column.
  const scalar = keys.length > 0 && keys.every((k) => k === '');
  const names = scalar ? [] : keyColumnNames(keys, options.keyNames);
  const keyColumns: string[][] = names.map(() => []);
  if (names.length > 0) {
    for (const row of top) {
      splitKey(row.key, names.length).forEach((part, i) => keyColumns[i].push(part));
    }
  }

  const valueField: Field = {
    name: options.valueName ?? options.variable,
    type: FieldType.number,
    config: options.unit ? { unit: options.unit } : {},
    values: top.map((r) => r.value),
  };
  return {
    refId: options.refId,
    name: options.variable,
    fields: [...names.map((name, i): Field => keyField(name, keyColumns[i])), valueField],
    length: top.length,
    meta: { preferredVisualisationType: 'table' },
  };
}

/** A key column: numbers when every part is a decimal number, else strings as they are. */
function keyField(name: string, parts: string[]): Field {
  const numbers = parts.length > 0 && parts.every((p) => p.trim() !== '') ? numericColumn(parts) : undefined;
  return numbers
    ? { name, type: FieldType.number, config: {}, values: numbers }
    : { name, type: FieldType.string, config: {}, values: parts };
}

/**
 * The key columns' names. With keyNames, one column per name. Without, as many as the key with the
 * fewest ','-separated parts has (a comm with a comma in it must not add a column; its extra
 * parts stay in the last column): `key` for a single key, key0, key1… for more.
 */
function keyColumnNames(keys: readonly string[], keyNames?: readonly string[]): string[] {
  if (keyNames && keyNames.length > 0) {
    return keyNames.map((name, i) => name || `key${i}`);
  }
  let arity = Infinity;
  for (const key of keys) {
    arity = Math.min(arity, key.split(',').length);
  }
  if (!Number.isFinite(arity) || arity <= 1) {
    return ['key'];
  }
  return Array.from({ length: arity }, (_, i) => `key${i}`);
}

/** Exactly `arity` parts: extra ','-separated parts join the last one, missing ones are ''. */
function splitKey(key: string, arity: number): string[] {
  const all = key.split(',');
  if (all.length > arity) {
    return [...all.slice(0, arity - 1), all.slice(arity - 1).join(',')];
  }
  while (all.length < arity) {
    all.push('');
  }
  return all;
}
