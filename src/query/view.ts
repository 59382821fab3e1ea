import { VariableInfo } from '../engine/ScriptLease';
import { QueryFormat } from '../types';

/** A concrete way to show data: what Auto resolves to. */
export type ViewFormat = Exclude<QueryFormat, 'auto'>;

export interface View {
  format: ViewFormat;
  variables: readonly VariableInfo[];
  /** Said to the user as an info notice: what Auto chose, or why nothing fits. */
  note?: string;
  /** No variable can be shown this way: the note says why (shown as a warning). */
  problem?: boolean;
}

const LABEL: Record<ViewFormat, string> = {
  timeseries: 'time series',
  heatmap: 'a heatmap',
  histogram: 'a histogram',
  table: 'a table',
  logs: 'logs',
  flamegraph: 'a flame graph',
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
function naturalFormat(v: VariableInfo, isCsv: (v: VariableInfo) => boolean): ViewFormat {
  if (isHistogram(v)) {
    return 'heatmap';
  }
  if (isStacks(v)) {
    return 'flamegraph';
  }
  if (v.text) {
    return isCsv(v) ? 'table' : 'logs';
  }
  return 'timeseries';
}

/**
 * Chooses what a query shows. Auto: a histogram → heatmap, stacks → flame graph, CSV text with a
 * header → table, other text → logs, everything else → time series; with several candidates the
 * first in the script wins (plain numbers all show together as time series) and the note says so.
 */
export function chooseView(
  variables: readonly VariableInfo[],
  options: { format?: QueryFormat; variable?: string },
  isCsv: (v: VariableInfo) => boolean
): View {
  const requested = options.format && options.format !== 'auto' ? options.format : undefined;
  if (options.variable) {
    const chosen = variables.find((v) => v.name === options.variable);
    if (!chosen) {
      return {
        format: requested ?? 'timeseries',
        variables: [],
        problem: true,
        note: `The script has no variable ${options.variable}${variables.length ? `; it has ${variables.map((v) => v.name).join(', ')}` : ''}.`,
      };
    }
    const format = requested ?? naturalFormat(chosen, isCsv);
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
        note: variables.length ? `No variable of this script can be shown as ${LABEL[requested]}.` : undefined,
      };
    }
    const shown = requested === 'timeseries' ? candidates : [candidates[0]];
    return { format: requested, variables: shown, note: otherNote(shown, variables) };
  }

  // Auto, in order of how specific the data is.
  const first = variables.find(isHistogram) ?? variables.find(isStacks);
  if (first) {
    const format = naturalFormat(first, isCsv);
    return { format, variables: [first], note: otherNote([first], variables, format) };
  }
  const numeric = variables.filter(isNumeric);
  if (numeric.length) {
    return { format: 'timeseries', variables: numeric, note: otherNote(numeric, variables, 'timeseries') };
  }
  const text = variables.find((v) => v.text);
  if (text) {
    const format = naturalFormat(text, isCsv);
    return { format, variables: [text] };
  }
  return { format: 'timeseries', variables: [] };
}

function otherNote(shown: VariableInfo[], all: readonly VariableInfo[], autoFormat?: ViewFormat): string | undefined {
  const others = all.filter((v) => !shown.includes(v));
  if (others.length === 0) {
    return undefined;
  }
  const what = shown.map((v) => v.name).join(', ');
  const how = autoFormat ? ` as ${LABEL[autoFormat]}` : '';
  return `Showing ${what}${how}; this script also has ${others.map((v) => v.name).join(', ')} (choose under Variable).`;
}
