import { VariableInfo } from '../engine/ScriptLease';
import { QueryFormat } from '../types';

/**
 * A concrete way to show data: what Auto resolves to.
 *
 * Contract (tests/corpus relies on it): every data frame of a query's response carries the
 * resolved format as `frame.meta.custom.view`, one of 'timeseries' | 'heatmap' | 'histogram' |
 * 'table' | 'logs' | 'flamegraph'; and when Auto chose, an info notice says so in one line that
 * starts with "Auto: " (AUTO_LEAD).
 */
export type ViewFormat = Exclude<QueryFormat, 'auto'>;

/** How the notice that tells what Auto chose begins. */
export const AUTO_LEAD = 'Auto: ';

export interface View {
  format: ViewFormat;
  variables: readonly VariableInfo[];
  /** Said to the user as an info notice: what Auto chose and why, or why nothing fits. */
  note?: string;
  /** No variable can be shown this way: the note says why (shown as a warning). */
  problem?: boolean;
}

/**
 * What the data says so far, per variable: Auto re-decides on every response, so a map that was
 * empty at first and fills later changes the choice until the user picks a format or map.
 */
export interface Evidence {
  /** Text output that is a CSV table with a header. */
  isCsv(v: VariableInfo): boolean;
  /** Numbers: keys with a non-zero value; text: complete lines. 0 = nothing seen yet. */
  size(v: VariableInfo): number;
}

/** A keyed map with more keys than this reads as a top-N table, not that many lines. */
export const MANY_KEYS = 20;
/**
 * A count or sum keyed by names (`@[comm] = count()`) is a ranking: past this many names its
 * author reads a top-N table, and the number of processes on a host varies around any higher
 * figure (corpus runs of one script saw fewer than 21 comms in one run, 22 and 29 in others).
 */
export const MANY_NAMES = 8;

/** More keys than a panel of lines reads well: by key kind (see MANY_KEYS, MANY_NAMES). */
const isWide = (v: VariableInfo, size: number) => size > (v.ranking ? MANY_NAMES : MANY_KEYS);

const LABEL: Record<ViewFormat, string> = {
  timeseries: 'time series',
  heatmap: 'a heatmap',
  histogram: 'a histogram',
  table: 'a table',
  logs: 'logs',
  flamegraph: 'a flame graph',
};

/** The names of the formats as the Format selector lists them. */
const OPTION_NAME: Record<ViewFormat, string> = {
  timeseries: 'Time series',
  heatmap: 'Heatmap',
  histogram: 'Histogram',
  table: 'Table',
  logs: 'Logs',
  flamegraph: 'Flame graph',
};

const isHistogram = (v: VariableInfo) => v.metrictype === 'histogram';
const isStacks = (v: VariableInfo) => v.metrictype === 'stacks';
const isNumeric = (v: VariableInfo) => !v.text;

/** Which variables a format can show, in script order. */
function fitting(format: ViewFormat, variables: readonly VariableInfo[]): VariableInfo[] {
  switch (format) {
    case 'heatmap':
    case 'histogram':
      return variables.filter(isHistogram);
    case 'flamegraph':
      return variables.filter(isStacks);
    case 'logs':
      return variables.filter((v) => v.text);
    case 'table':
      // Text output only as a table when it is CSV; maps (keyed or not) always.
      return variables.filter((v) => v.text || (isNumeric(v) && !isHistogram(v)));
    case 'timeseries':
      return variables.filter((v) => isNumeric(v) && !isStacks(v));
  }
}

/** The format a variable shows best as: the PMDA's metrictype label, then the data. */
function naturalFormat(v: VariableInfo, evidence: Evidence): ViewFormat {
  if (isHistogram(v)) {
    return 'heatmap';
  }
  if (isStacks(v)) {
    return 'flamegraph';
  }
  if (v.text) {
    return evidence.isCsv(v) ? 'table' : 'logs';
  }
  return isWide(v, evidence.size(v)) ? 'table' : 'timeseries';
}

/**
 * Chooses what a query shows. With a chosen map or format, that; otherwise Auto (autoView).
 */
export function chooseView(
  variables: readonly VariableInfo[],
  options: { format?: QueryFormat; map?: string },
  evidence: Evidence
): View {
  const requested = options.format && options.format !== 'auto' ? options.format : undefined;
  if (options.map) {
    const chosen = variables.find((v) => v.name === options.map);
    if (!chosen) {
      return {
        format: requested ?? 'timeseries',
        variables: [],
        problem: true,
        note: `The script has no map ${options.map}${variables.length ? `; it has ${variables.map((v) => v.name).join(', ')}` : ''}.`,
      };
    }
    const format = requested ?? naturalFormat(chosen, evidence);
    if (!fitting(format, [chosen]).length) {
      return { format, variables: [], problem: true, note: `${chosen.name} cannot be shown as ${LABEL[format]}.` };
    }
    return { format, variables: [chosen] };
  }

  if (requested) {
    const candidates = fitting(requested, variables);
    if (candidates.length === 0) {
      return {
        format: requested,
        variables: [],
        problem: variables.length > 0,
        note: variables.length ? `No map of this script can be shown as ${LABEL[requested]}.` : undefined,
      };
    }
    const shown = requested === 'timeseries' ? candidates : [candidates[0]];
    return { format: requested, variables: shown, note: otherNote(shown, variables) };
  }
  return autoView(variables, evidence);
}

/**
 * Auto, from evidence, in this order:
 * 1. Scratch maps (per-event state, see mapUsage.ts) are never shown and never hide anything.
 * 2. What has data beats what is still empty: printf output with events beats empty maps.
 * 3. Among the variables with data (or all, while none has any), the most specific: a histogram
 *    → heatmap, stacks → flame graph, then maps (a keyed map with more than MANY_KEYS keys →
 *    top-N table, else all maps together as time series), then text (CSV → table, else logs).
 *    A header line alone is not output "with events": a BEGIN banner does not beat a map.
 */
function autoView(variables: readonly VariableInfo[], evidence: Evidence): View {
  // A script of scratch maps only still shows them: something is better than nothing.
  const scratch = variables.some((v) => !v.scratch) ? variables.filter((v) => v.scratch) : [];
  const candidates = variables.filter((v) => !scratch.includes(v));
  const hasData = (v: VariableInfo) => evidence.size(v) > (v.text ? 1 : 0);
  const withData = candidates.filter(hasData);
  const pool = withData.length ? withData : candidates;

  let format: ViewFormat;
  let shown: VariableInfo[];
  let why: string;
  const special = pool.find(isHistogram) ?? pool.find(isStacks);
  const maps = pool.filter((v) => isNumeric(v) && !isHistogram(v) && !isStacks(v));
  const text = pool.find((v) => v.text);
  const wide = maps.find((v) => isWide(v, evidence.size(v)));
  if (special) {
    format = naturalFormat(special, evidence);
    shown = [special];
    why = isHistogram(special) ? 'it is a histogram' : 'its keys are stacks';
  } else if (wide) {
    format = 'table';
    shown = [wide];
    why = wide.ranking
      ? `it ranks ${evidence.size(wide)} names (more than ${MANY_NAMES}), largest first`
      : `it has ${evidence.size(wide)} keys (more than ${MANY_KEYS}), largest first`;
  } else if (maps.length) {
    format = 'timeseries';
    shown = maps;
    const fn = maps.length === 1 && maps[0].aggregation ? `${maps[0].aggregation}() ` : '';
    why = maps.length === 1 ? `it is a ${fn}map` : 'they are maps';
  } else if (text) {
    format = naturalFormat(text, evidence);
    shown = [text];
    const lines = evidence.size(text);
    why =
      format === 'table'
        ? 'its lines are CSV with a header'
        : lines > 0
          ? `it printed ${lines} line${lines === 1 ? '' : 's'}`
          : 'it is the printf output';
  } else {
    return { format: 'timeseries', variables: [] };
  }
  if (withData.length && candidates.length > withData.length) {
    const empty = candidates.filter((v) => !hasData(v) && !shown.includes(v));
    if (empty.length) {
      why += `; ${names(empty)} ${empty.length === 1 ? 'has' : 'have'} no data yet`;
    }
  }
  return { format, variables: shown, note: autoNote(format, shown, why, variables, scratch) };
}

/**
 * One line: what Auto shows and why, and what else the user can pick (Format, Map), e.g.
 * "Auto: @output as logs (it printed 120 lines; @start is per-event scratch). Also: Format Table;
 * Map @start."
 */
function autoNote(
  format: ViewFormat,
  shown: readonly VariableInfo[],
  why: string,
  all: readonly VariableInfo[],
  scratch: readonly VariableInfo[]
): string {
  const reasons = [why];
  if (scratch.length) {
    reasons.push(`${names(scratch)} ${scratch.length === 1 ? 'is' : 'are'} per-event scratch, not shown`);
  }
  const what = `${names(shown)} as ${LABEL[format]}`;
  const otherFormats = (Object.keys(OPTION_NAME) as ViewFormat[]).filter(
    (f) => f !== format && fitting(f, all).length > 0
  );
  const otherMaps = all.filter((v) => !shown.includes(v));
  const also = [
    otherFormats.length ? `Format ${otherFormats.map((f) => OPTION_NAME[f]).join(', ')}` : '',
    otherMaps.length ? `Map ${names(otherMaps)}` : '',
  ].filter((s) => s);
  return `${AUTO_LEAD}${what} (${reasons.filter((r) => r).join('; ')}).${also.length ? ` Also: ${also.join('; ')}.` : ''}`;
}

function names(vs: readonly VariableInfo[]): string {
  return vs.map((v) => v.name).join(', ');
}

function otherNote(shown: VariableInfo[], all: readonly VariableInfo[]): string | undefined {
  const others = all.filter((v) => !shown.includes(v));
  if (others.length === 0) {
    return undefined;
  }
  return `Showing ${names(shown)}; this script also has ${names(others)} (choose under Map).`;
}
