import { AnnotationEvent, DataFrame, DataFrameType, FieldType } from '@grafana/data';
import { BpftraceQuery } from '../types';

/**
 * An annotation query is a bpftrace script whose printf lines become annotations on every panel
 * of the dashboard: one annotation per line, at the time the line arrived, its text the line.
 * Tags follow one rule: each `#word` in the line is a tag (`printf("#oom killed %s\n", comm)`
 * gives the tag `oom`), and on a query that runs on several hosts, so is the host the line came
 * from (as Loki tags a line with its labels' values). Lines still being printed (no newline yet)
 * wait for their newline.
 */
const TAG = /(?:^|\s)#([\w.:/-]+)/g;

/** An annotation query runs its script like a panel does, shown as its printf lines. */
export function annotationQuery(target: BpftraceQuery | undefined): BpftraceQuery | undefined {
  if (!target?.code?.trim()) {
    return undefined; // nothing to run: Grafana skips the query quietly
  }
  return { ...target, refId: target.refId || 'Anno', format: 'logs', map: '@output' };
}

/** The annotations in the log-lines frames of an annotation query's response, oldest first. */
export function annotationEvents(frames: DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    if (frame.meta?.type !== DataFrameType.LogLines) {
      continue;
    }
    const times = frame.fields.find((f) => f.type === FieldType.time)?.values;
    const bodies = frame.fields.find((f) => f.name === 'body')?.values;
    const ids = frame.fields.find((f) => f.name === 'id')?.values;
    if (!times || !bodies) {
      continue;
    }
    const host: unknown = frame.meta?.custom?.host;
    for (let i = 0; i < frame.length; i++) {
      const text = String(bodies[i] ?? '').trim();
      if (text === '' || String(ids?.[i] ?? '').startsWith('partial_')) {
        continue;
      }
      const tags = [...new Set([...text.matchAll(TAG)].map((m) => m[1]))];
      if (typeof host === 'string' && host !== '' && !tags.includes(host)) {
        tags.push(host);
      }
      events.push({ time: Number(times[i]), text, tags });
    }
  }
  return events;
}
