import { DataFrame, DataFrameType, Field, FieldType, Labels } from '@grafana/data';

import type { SeriesColumn, WideSeriesBuffer } from '../buffers/WideSeriesBuffer';

export interface TimeSeriesFrameOptions {
  refId: string;
  /** The bpftrace variable, with its '@': '@syscalls', '@bycomm'. */
  variable: string;
  /** Show counters as per-second rates (ignored for non-counters). */
  rate: boolean;
  /** `$var`, `$key`, `$instance`, `$host`, `$key0`…, `$<label>`; also `${name}`. Empty = default names. */
  legendFormat?: string;
  host?: string;
  /** Labels added to every value field (e.g. hostname). Key-part labels win on a clash. */
  labels?: Record<string, string>;
  unit?: string;
  /**
   * Names of a multi-key map's key parts, e.g. ['comm', 'pid'] for `@x[comm, pid]`; they become
   * the label names and fix the arity (extra commas stay in the last part, e.g. a stack).
   * Without it, a key is split on every ',' and the parts are labelled key0, key1, …
   */
  keyNames?: readonly string[];
}

/** bpftrace's own print format for the key separator: `@x[bash, 123]`. */
const KEY_SEPARATOR_DISPLAY = ', ';

/**
 * One time-series-wide frame for one variable: a Time field then one number field per key.
 * The fields REFERENCE the buffer's columns (no copy): the cost is O(keys), whatever the retention.
 * Rows the buffer appends later show up past the frame's `length`; rows up to it never change.
 */
export function buildTimeSeriesFrame(buffer: WideSeriesBuffer, options: TimeSeriesFrameOptions): DataFrame {
  const kind = options.rate && buffer.counter ? 'rate' : 'raw';
  const fields: Field[] = [
    {
      name: 'Time',
      type: FieldType.time,
      config: {},
      // Grafana's Field.values is typed mutable; we hand it the buffer's array and never expect writes.
      values: buffer.times as number[],
    },
  ];

  for (const key of buffer.keys()) {
    const column = buffer.column(key, kind) as SeriesColumn;
    const keyLabels = keyPartLabels(key, options.keyNames);
    const labels: Labels | undefined =
      options.labels || keyLabels ? { ...options.labels, ...keyLabels?.labels } : undefined;
    const displayName = options.legendFormat
      ? formatLegend(options.legendFormat, {
          variable: options.variable,
          key,
          host: options.host,
          parts: keyLabels?.parts ?? [key],
          labels,
        })
      : defaultDisplayName(options.variable, key, keyLabels?.parts);

    const field: Field = {
      name: key === '' ? options.variable : key,
      type: FieldType.number,
      config: options.unit
        ? { displayNameFromDS: displayName, unit: options.unit }
        : { displayNameFromDS: displayName },
      values: column as Array<number | null>,
    };
    if (labels) {
      field.labels = labels;
    }
    fields.push(field);
  }

  return {
    refId: options.refId,
    name: options.variable,
    fields,
    length: buffer.length,
    meta: { type: DataFrameType.TimeSeriesWide, typeVersion: [0, 1] },
  };
}

/** '@syscalls' for a scalar (key ''), '@bycomm[bash]', '@x[bash, 123]' for a multi-key map. */
export function defaultDisplayName(variable: string, key: string, parts?: readonly string[]): string {
  if (key === '') {
    return variable;
  }
  return `${variable}[${parts ? parts.join(KEY_SEPARATOR_DISPLAY) : key}]`;
}

export interface KeyParts {
  parts: string[];
  labels: Labels;
}

/**
 * Splits a map key into its parts and names them. Single keys (no ',' and no keyNames) get no labels.
 */
export function keyPartLabels(key: string, keyNames?: readonly string[]): KeyParts | undefined {
  if (key === '') {
    return undefined;
  }
  let parts: string[];
  let names: readonly string[];
  if (keyNames && keyNames.length > 0) {
    const all = key.split(',');
    parts =
      all.length > keyNames.length
        ? [...all.slice(0, keyNames.length - 1), all.slice(keyNames.length - 1).join(',')]
        : all;
    names = keyNames;
  } else {
    parts = key.split(',');
    if (parts.length < 2) {
      return undefined;
    }
    names = [];
  }
  const labels: Labels = {};
  parts.forEach((part, i) => {
    labels[names[i] || `key${i}`] = part;
  });
  return { parts, labels };
}

export interface LegendContext {
  variable: string;
  key: string;
  host?: string;
  parts: readonly string[];
  labels?: Labels;
}

/**
 * Substitutes `$name` / `${name}`: var (the variable with '@'), key and instance (the whole key),
 * host, key0, key1… (key parts), then any label. Unknown names are left as written.
 */
export function formatLegend(format: string, ctx: LegendContext): string {
  return format.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced: string | undefined, bare: string | undefined) => {
    const value = lookupLegendName((braced ?? bare)!, ctx);
    return value ?? match;
  });
}

function lookupLegendName(name: string, ctx: LegendContext): string | undefined {
  switch (name) {
    case 'var':
      return ctx.variable;
    case 'key':
    case 'instance':
      return ctx.key;
    case 'host':
      return ctx.host;
  }
  const part = /^key(\d+)$/.exec(name);
  if (part) {
    const i = Number(part[1]);
    if (i < ctx.parts.length) {
      return ctx.parts[i];
    }
  }
  if (ctx.labels && Object.prototype.hasOwnProperty.call(ctx.labels, name)) {
    return ctx.labels[name];
  }
  return undefined;
}
