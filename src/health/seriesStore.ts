import { SeriesClient } from '../pmapi';

/** What Save & Test says of pmproxy's series store: whether it answers, and what it holds. */
export interface SeriesReport {
  available: boolean;
  /** One sentence for the Save & Test message. */
  sentence: string;
  /** The hosts it records (the `hostname` label), when it answered. */
  hosts?: string[];
  /** How many metric names it records, across its hosts. */
  metrics?: number;
}

/** At most this many host names are named in the sentence. */
const NAMED_HOSTS = 5;

/**
 * Asks the series store two cheap questions: the values of the `hostname` label (which hosts
 * pmlogger records) and the recorded metric names. The store is optional: live data never needs
 * it, so what it says is information, not a failure of Save & Test.
 */
export async function checkSeriesStore(series: SeriesClient): Promise<SeriesReport> {
  try {
    const [labels, metrics] = await Promise.all([series.labelValues(['hostname']), series.metricsMatching('*')]);
    const hosts = (labels.hostname ?? []).map(String).sort();
    if (hosts.length === 0 && metrics.length === 0) {
      return {
        available: true,
        hosts,
        metrics: 0,
        sentence:
          'Series store: available but empty (pmlogger records nothing into it yet: history and "Series store" queries have no data).',
      };
    }
    const named = hosts.slice(0, NAMED_HOSTS).join(', ') + (hosts.length > NAMED_HOSTS ? ', …' : '');
    return {
      available: true,
      hosts,
      metrics: metrics.length,
      sentence: `Series store: available, ${count(hosts.length, 'host')} recorded (${named}), ${count(metrics.length, 'metric')}.`,
    };
  } catch (e) {
    // (The client's words end by reassuring about live data: the sentence says that itself.)
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\.? Live data is not affected\.$/, '');
    return {
      available: false,
      sentence: `Series store: not available (${reason}); live data works, history and "Series store" queries do not.`,
    };
  }
}

function count(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}
