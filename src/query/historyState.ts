import type { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import type { QueryResultMetaNotice } from '@grafana/data';
import type { HistoryRequest, ScriptHistory } from '../engine/History';
import type { ScriptLease } from '../engine/ScriptLease';
import { clockText, gapNotice, STORE_LAG_MS, StitchedHistory } from './history';

/**
 * The history of ONE query's stream (one query, one range): whether its range needs the series
 * store, reading it once, retrying when the store does not answer, and what the panel is told.
 * The datasource makes one per stream and asks `view` on every emission.
 */
export interface QueryHistoryOptions {
  /** Reads the series store (engine/History.ts HistoryLoader.load); absent without a series API. */
  load?: (request: HistoryRequest) => Promise<ScriptHistory>;
  pollIntervalMs: number;
  retentionMs: number;
  /** Something changed (history arrived, a retry is due): the stream emits again. */
  onChange: () => void;
  /** Where older history of this query is (its former recordings), said when the range reaches before its own. */
  olderHistory?: string;
  /** After a failed read, the next one this much later. */
  retryMs?: number;
  now?: () => number;
}

export interface HistoryView {
  /** The buffers to draw (history, then live), or undefined for the lease's own. */
  buffers?: ReadonlyMap<string, WideSeriesBuffer>;
  notices: QueryResultMetaNotice[];
}

/** A range that starts this much before the live data of a script that is not recorded gets a hint. */
const NOT_RECORDED_AFTER_MS = 60_000;
const RETRY_MS = 30_000;
/**
 * Reads that fill a seam joined over the store's lag (see StitchedHistory.seamAwaitsStore), one
 * store lag apart: the store had the seconds before the live data after 1-2 s when measured, and
 * after over 4 s in a busy CI run.
 */
const SEAM_REFILLS = 3;

type State =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'loaded'; stitched: StitchedHistory; intervalMs: number; refills: number }
  | { kind: 'failed'; message: string };

export class QueryHistory {
  private state: State = { kind: 'idle' };
  private retryTimer?: ReturnType<typeof setTimeout>;
  private refillTimer?: ReturnType<typeof setTimeout>;
  private disposed = false;

  constructor(private readonly options: QueryHistoryOptions) {}

  private now() {
    return (this.options.now ?? Date.now)();
  }

  /**
   * What to draw and say for `lease` over `range` now. Reads the store the first time the range
   * reaches before the live data of a named script whose maps are known; never again for this
   * stream, except after a failure.
   */
  view(lease: ScriptLease, range: { from: number; to: number }): HistoryView {
    const liveFrom = liveStart(lease.buffers) ?? this.now();
    const name = lease.joinName;
    if (!name) {
      return {
        notices:
          range.from < liveFrom - NOT_RECORDED_AFTER_MS
            ? [
                {
                  severity: 'info',
                  text: `This script is not recorded: the panel shows what this tab has read since ${clockText(liveFrom)}. Turn on Record (query options) to keep its history.`,
                },
              ]
            : [],
      };
    }
    const state = this.state;
    if (state.kind === 'idle') {
      const reachesBack = range.from < liveFrom - this.options.pollIntervalMs / 2;
      if (!reachesBack || lease.variables.length === 0) {
        return { notices: [] };
      }
      if (!this.options.load) {
        return { notices: [{ severity: 'info', text: UNAVAILABLE_NO_API }] };
      }
      this.start(lease, range);
      return { notices: [] };
    }
    if (state.kind === 'loading') {
      return { notices: [] };
    }
    if (state.kind === 'failed') {
      return {
        notices: [
          {
            severity: 'warning',
            text: `History unavailable: the series store (Redis) does not answer (${state.message}). Live data goes on; history is asked for again in ${Math.round((this.options.retryMs ?? RETRY_MS) / 1000)} s.`,
          },
        ],
      };
    }
    // A running script's first live row places the seam (no point twice): wait the one tick for it.
    const awaitingLive =
      !Number.isFinite(range.to) && lease.phase !== 'waiting' && liveStart(lease.buffers) === undefined;
    if (awaitingLive) {
      return { notices: [] };
    }
    const buffers = state.stitched.buffers(lease.variables, lease.buffers);
    if (state.stitched.seamAwaitsStore && state.refills < SEAM_REFILLS && !this.refillTimer) {
      this.refillTimer = setTimeout(() => this.refill(lease, range, state.refills + 1), STORE_LAG_MS);
    }
    const notices: QueryResultMetaNotice[] = [];
    const gaps = gapNotice(state.stitched.gaps);
    if (gaps) {
      notices.push({ severity: 'info', text: gaps });
    }
    const first = state.stitched.firstSample;
    if (first === undefined) {
      notices.push({
        severity: 'info',
        text: `No recording of this script before ${clockText(liveFrom)} (the series store holds nothing of "${name}" in this range).`,
      });
    } else if (first > range.from + 2 * state.intervalMs) {
      notices.push({ severity: 'info', text: `No recording of this script before ${clockText(first)}.` });
    }
    if (this.options.olderHistory && (first === undefined || first > range.from + 2 * state.intervalMs)) {
      notices.push({ severity: 'info', text: this.options.olderHistory });
    }
    return { buffers, notices };
  }

  private start(lease: ScriptLease, range: { from: number; to: number }) {
    this.state = { kind: 'loading' };
    this.read(lease, range).then(
      (loaded) => {
        if (this.disposed) {
          return;
        }
        this.state = { ...loaded, refills: 0 };
        this.options.onChange();
      },
      (e: unknown) => {
        if (this.disposed) {
          return;
        }
        this.state = { kind: 'failed', message: e instanceof Error ? e.message : String(e) };
        this.options.onChange();
        this.retryTimer = setTimeout(() => {
          this.state = { kind: 'idle' };
          this.options.onChange();
        }, this.options.retryMs ?? RETRY_MS);
      }
    );
  }

  /**
   * Reads the range again, for the seconds before the live data that were not in the store yet:
   * the new stitched history (new buffers: frames sent before keep theirs) replaces the old one.
   * A failed read keeps what is drawn.
   */
  private refill(lease: ScriptLease, range: { from: number; to: number }, refills: number) {
    this.read(lease, range).then(
      (loaded) => {
        this.refillTimer = undefined;
        if (!this.disposed) {
          this.state = { ...loaded, refills };
          this.options.onChange();
        }
      },
      () => {
        this.refillTimer = undefined;
        if (this.state.kind === 'loaded') {
          this.state = { ...this.state, refills };
        }
      }
    );
  }

  /** The range's history from the store, stitched onto the live data as of now. */
  private read(
    lease: ScriptLease,
    range: { from: number; to: number }
  ): Promise<{ kind: 'loaded'; stitched: StitchedHistory; intervalMs: number }> {
    const to = Number.isFinite(range.to) ? range.to : this.now();
    return this.options.load!({ scriptName: lease.joinName!, variables: lease.variables, from: range.from, to }).then(
      (history) => ({
        kind: 'loaded',
        stitched: new StitchedHistory(history, {
          from: range.from,
          to: range.to,
          pollIntervalMs: this.options.pollIntervalMs,
          retentionMs: this.options.retentionMs,
          loadedAt: to,
        }),
        intervalMs: history.intervalMs,
      })
    );
  }

  /** The stream ended: no more reads, retries or emissions. */
  dispose() {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refillTimer);
  }
}

const UNAVAILABLE_NO_API =
  "History unavailable: this pmproxy's series API does not answer (no series store configured), so only what this tab has read is shown.";

/** The first live row's time over a lease's buffers, or undefined when none has a row. */
function liveStart(buffers: ReadonlyMap<string, WideSeriesBuffer>): number | undefined {
  let first: number | undefined;
  for (const b of buffers.values()) {
    if (b.length > 0 && (first === undefined || b.times[0] < first)) {
      first = b.times[0];
    }
  }
  return first;
}
