import { IndomInstance, InstanceValue } from '../pmapi/types';

/**
 * The keys (instance names) of a data metric's instances, one per fetched instance, in order.
 * PCP's fetch sends instance ids; the names come from /pmapi/indom.
 *
 * A tick's work is proportional to what changed: a map's keys rarely change from one fetch to the
 * next, so the last fetch's ids and keys are kept per metric, and a fetch with the same ids in the
 * same order gets the same keys array back after comparing the ids (numbers, no lookup, nothing
 * allocated). Only a changed id list is named again, and only ids never named cause an indom
 * request (see `complete`). Asking again for the same fetch's instances costs nothing.
 */
export interface NamedInstances {
  /** One key per instance: its name, '' for a metric without instances, the id while unnamed. */
  readonly keys: readonly string[];
  /** Whether every instance has its name (if not, the caller asks /pmapi/indom and `learn`s it). */
  readonly complete: boolean;
}

interface MetricNames {
  /** Instance id → name, from the last indom answer. */
  names: Map<number, string>;
  /** The instances these keys were made for (a fetch's array), and their ids in order. */
  instances?: readonly InstanceValue[];
  ids: Array<number | null>;
  named: NamedInstances;
}

const NOTHING: NamedInstances = { keys: [], complete: true };

export class InstanceNames {
  private readonly metrics = new Map<string, MetricNames>();

  /** The keys of `instances` (a fetch's values of `metric`), made again only when the ids changed. */
  keysOf(metric: string, instances: readonly InstanceValue[]): NamedInstances {
    let m = this.metrics.get(metric);
    if (!m) {
      m = { names: new Map(), ids: [], named: NOTHING };
      this.metrics.set(metric, m);
    }
    if (m.instances !== instances && !(m.named.complete && sameIds(m.ids, instances))) {
      m.ids = instances.map((i) => i.instance);
      m.named = nameAll(m.names, instances);
    }
    m.instances = instances;
    return m.named;
  }

  /** The names of a metric's instance domain (a /pmapi/indom answer): every id known now. */
  learn(metric: string, indom: readonly IndomInstance[]): void {
    this.metrics.set(metric, {
      names: new Map(indom.map((i) => [i.instance, i.name])),
      ids: [],
      named: { keys: [], complete: false },
    });
  }

  forget(metric: string): void {
    this.metrics.delete(metric);
  }

  /** After pmcd or the PMDA restarted: ids may now name other things. */
  clear(): void {
    this.metrics.clear();
  }
}

function sameIds(ids: ReadonlyArray<number | null>, instances: readonly InstanceValue[]): boolean {
  if (ids.length !== instances.length) {
    return false;
  }
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== instances[i].instance) {
      return false;
    }
  }
  return true;
}

function nameAll(names: ReadonlyMap<number, string>, instances: readonly InstanceValue[]): NamedInstances {
  let complete = true;
  const keys = instances.map(({ instance }) => {
    if (instance === null) {
      return '';
    }
    const name = names.get(instance);
    if (name === undefined) {
      complete = false;
      return String(instance);
    }
    return name;
  });
  return { keys, complete };
}
