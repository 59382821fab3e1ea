import { DataFrame, FieldType, toCSV } from '@grafana/data';

import { foldedStacks } from '../frames/folded';

/** A file the editor offers for download: what a query shows, in the form other tools read. */
export interface Download {
  /** The button's words. */
  label: string;
  filename: string;
  mime: string;
  /** The file's text, made when asked: a live panel re-renders every second, a download is rare. */
  content: () => string;
}

/**
 * What a query's frames download as, or undefined when they have nothing to export: a flame
 * graph as folded stacks (frames/folded: flamegraph.pl, speedscope, inferno), a table as CSV
 * (Grafana's own writer, as Inspect → Data's "Download CSV" writes it). A query on several hosts
 * has a frame per host: its flame graphs fold into one file with the host as each line's first
 * frame, its tables into one CSV with a host column.
 */
export function downloadOf(frames: readonly DataFrame[], refId: string, now = new Date()): Download | undefined {
  const mine = frames.filter((f) => f.refId === refId && f.length > 0);
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const base = `bpflive-${refId}-${stamp}`;
  const flames = mine.filter(isFlameGraph);
  if (flames.length > 0) {
    const several = flames.length > 1;
    const content = () =>
      flames
        .map((f) => {
          const folded = foldedStacks(f);
          const host = hostOf(f);
          return several && host ? folded.replace(/^(?=.)/gm, `${host.replace(/;/g, ':')};`) : folded;
        })
        .join('');
    return { label: 'Download folded stacks', filename: `${base}.folded`, mime: 'text/plain', content };
  }
  const tables = mine.filter((f) => viewOf(f) === 'table');
  if (tables.length > 0) {
    return { label: 'Download CSV', filename: `${base}.csv`, mime: 'text/csv', content: () => tablesCsv(tables) };
  }
  return undefined;
}

function isFlameGraph(frame: DataFrame): boolean {
  return frame.meta?.preferredVisualisationType === 'flamegraph' && frame.fields.some((f) => f.name === 'level');
}

function viewOf(frame: DataFrame): string | undefined {
  return (frame.meta?.custom as { view?: string } | undefined)?.view;
}

function hostOf(frame: DataFrame): string | undefined {
  return (frame.meta?.custom as { host?: string } | undefined)?.host;
}

/** One CSV: with several hosts, their tables as one, rows after rows, with a `host` column first. */
function tablesCsv(tables: DataFrame[]): string {
  if (tables.length === 1) {
    return toCSV(tables);
  }
  // The tables of one query have the same columns (one script, one map); by name, to be sure.
  const columns = tables[0].fields;
  const joined: DataFrame = {
    length: tables.reduce((n, t) => n + t.length, 0),
    fields: [
      {
        name: 'host',
        type: FieldType.string,
        config: {},
        values: tables.flatMap((t) => new Array(t.length).fill(hostOf(t) ?? '')),
      },
      ...columns.map((c) => ({
        ...c,
        values: tables.flatMap((t) => {
          const same = t.fields.find((f) => f.name === c.name);
          return same ? Array.from(same.values) : new Array(t.length).fill(null);
        }),
      })),
    ],
  };
  return toCSV([joined]);
}
