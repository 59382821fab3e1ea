import { DataFrame, DataFrameType, Field, FieldConfig, FieldType, Labels } from '@grafana/data';

import type { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';

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
  /** One panel draws several hosts: default names start with `host` (`alpha: @syscalls`). */
  hostInName?: boolean;
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
 * Names, legends, labels and field configs are made once per key (see seriesLooks) and reused
 * while the keys and the options stay the same. Each frame gets its own Field objects: Grafana
 * writes to a field's `state` (reduceField caches the field's calcs there, which a later frame
 * with more rows must not inherit). The config object is shared between frames: Grafana reads it
 * and never writes it (applyFieldOverrides works on a deep clone, `cloneDeep(field.config)`), and
 * making 2,000 of them per tick was a third of a big map's garbage.
 */
export function buildTimeSeriesFrame(buffer: WideSeriesBuffer, options: TimeSeriesFrameOptions): DataFrame {
  const kind = options.rate && buffer.hasRates ? 'rate' : 'raw';
  const keys = buffer.keys();
  const looks = seriesLooks(buffer, keys, options);
  const columns = buffer.columns(kind);
  const fields: Field[] = new Array(keys.length + 1);
  fields[0] = {
    name: 'Time',
    type: FieldType.time,
    config: {},
    // Grafana's Field.values is typed mutable; we hand it the buffer's array and never expect writes.
    values: buffer.times as number[],
  };
  for (let i = 0; i < keys.length; i++) {
    const look = looks[i];
    const values = columns[i] as Array<number | null>;
    // Labels in the literal, not added after: a property added to a made object goes to a
    // separate backing store, 40 bytes more per field (a 2,000-series frame: 205 KB, not 126).
    fields[i + 1] = look.labels
      ? { name: look.name, type: FieldType.number, config: look.config, values, labels: look.labels }
      : { name: look.name, type: FieldType.number, config: look.config, values };
  }

  return {
    refId: options.refId,
    name: options.variable,
    fields,
    length: buffer.length,
    meta: { type: DataFrameType.TimeSeriesWide, typeVersion: [0, 1] },
  };
}

/** What a key's field is called and labelled: fixed for a key under the same options. */
interface SeriesLook {
  name: string;
  /** Shared by every frame of the key (read-only, see buildTimeSeriesFrame). */
  config: FieldConfig;
  labels?: Labels;
}

interface LookCache {
  /** The options the looks were made for (what they depend on). */
  signature: string;
  keys: readonly string[];
  looks: SeriesLook[];
  byKey: Map<string, SeriesLook>;
}

/** Per buffer and per query (refId): a buffer can be drawn by several queries with other legends. */
const lookCaches = new WeakMap<WideSeriesBuffer, Map<string, LookCache>>();

/**
 * The looks of `keys`, in order. Rebuilt only when the key list changes (buffers replace it, so
 * an identity check suffices) and then only for keys not seen before; a change of options
 * starts over.
 */
function seriesLooks(buffer: WideSeriesBuffer, keys: readonly string[], options: TimeSeriesFrameOptions): SeriesLook[] {
  const signature = JSON.stringify([
    options.variable,
    options.legendFormat,
    options.host,
    options.labels,
    options.keyNames,
    options.hostInName,
    options.unit,
  ]);
  let perQuery = lookCaches.get(buffer);
  if (!perQuery) {
    perQuery = new Map();
    lookCaches.set(buffer, perQuery);
  }
  let cache = perQuery.get(options.refId);
  if (cache && cache.signature === signature && cache.keys === keys) {
    return cache.looks;
  }
  const byKey = cache && cache.signature === signature ? cache.byKey : new Map<string, SeriesLook>();
  const next = new Map<string, SeriesLook>();
  const looks = keys.map((key) => {
    const look = byKey.get(key) ?? seriesLook(key, options);
    next.set(key, look);
    return look;
  });
  cache = { signature, keys, looks, byKey: next };
  perQuery.set(options.refId, cache);
  return looks;
}

function seriesLook(key: string, options: TimeSeriesFrameOptions): SeriesLook {
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
  const displayNameFromDS =
    options.hostInName && !options.legendFormat ? `${options.host}: ${displayName}` : displayName;
  return {
    name: key === '' ? options.variable : key,
    config: options.unit ? { displayNameFromDS, unit: options.unit } : { displayNameFromDS },
    labels,
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
