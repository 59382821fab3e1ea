import React, { useState } from 'react';
import {
  Combobox,
  ComboboxOption,
  InlineField,
  InlineFieldRow,
  InlineSwitch,
  Input,
  RadioButtonGroup,
  Text,
  UnitPicker,
} from '@grafana/ui';
import { recordingNameError } from '../query/recording';
import { OUTPUT_LINES_MAX, outputLinesError } from '../query/outputLines';
import { BpftraceQuery, FlameGraphCompare, FlameGraphOptions, QueryFormat } from '../types';

const TIME_HELP = 'As in the time picker: now-2h, 2026-12-03 17:00:00, or ms since the epoch.';
const BASELINE_ENDS = [
  { key: 'baselineFrom', id: 'fg-base-from', label: 'Baseline from', labelWidth: 15, placeholder: 'now-2h' },
  { key: 'baselineTo', id: 'fg-base-to', label: 'to', labelWidth: 5, placeholder: 'now-1h' },
] as const;

const COMPARES: Array<{ value: FlameGraphCompare; label: string; description: string }> = [
  { value: 'none', label: 'None', description: 'The flame graph of the selected range' },
  {
    value: 'previous',
    label: 'Previous window',
    description: 'Against the window of equal length just before the range: red grew, green shrank',
  },
  { value: 'fixed', label: 'Fixed range', description: 'Against a baseline range you pick: red grew, green shrank' },
];

const FORMATS: Array<ComboboxOption<QueryFormat>> = [
  {
    value: 'auto',
    label: 'Auto',
    description:
      'From the script and its data: histograms as a heatmap, stacks as a flame graph, maps as time series (a table with many keys), printf output as logs (a table when CSV); scratch maps never. A notice says what it chose and why',
  },
  { value: 'timeseries', label: 'Time series', description: 'One series per map key' },
  { value: 'heatmap', label: 'Heatmap', description: 'hist() / lhist() buckets over time' },
  {
    value: 'histogram',
    label: 'Histogram (latest)',
    description: 'The hist() / lhist() buckets of the latest interval (the heatmap shows every interval over time)',
  },
  { value: 'table', label: 'Table', description: 'Map keys and values, or printf CSV lines' },
  { value: 'logs', label: 'Logs', description: 'printf() lines' },
  { value: 'flamegraph', label: 'Flame graph', description: 'A map keyed by kstack or ustack' },
];

interface Props {
  query: BpftraceQuery;
  onChange: (query: BpftraceQuery) => void;
  onRunQuery: () => void;
  /** The script's maps: as the PMDA reports them once it runs, predicted before. */
  variables: string[];
  /** The unit the shown variable's name implies, shown while the unit is empty. */
  inferredUnit?: string;
  /** The datasource's hostspec, the default for the per-query one. */
  defaultHostspec?: string;
  /** What Auto chose on the last run: the format, and the maps shown. */
  auto?: { format?: QueryFormat; shown?: string[] };
}

const LABEL = 11;

/**
 * Record (issue 17, docs/history.md): the script runs as a named recording pmlogger keeps, so past
 * ranges and a reopened tab have its history. The name is checked here, before anything runs.
 */
function RecordFields({
  query,
  id,
  change,
}: {
  query: BpftraceQuery;
  id: (name: string) => string;
  change: (patch: Partial<BpftraceQuery>) => void;
}) {
  const nameError = recordingNameError(query.recordName?.trim() ?? '');
  return (
    <InlineFieldRow>
      <InlineField
        label="Record"
        labelWidth={LABEL}
        tooltip="Run the script as a named recording the host's pmlogger keeps: it goes on after this tab closes, and past ranges show its history. Only an Editor starts it; stopping it is an explicit action (Stop recording, under the editor). Off: the script lives while panels read it."
      >
        <InlineSwitch
          id={id('record')}
          value={query.record ?? false}
          onChange={(e) => change({ record: e.currentTarget.checked || undefined })}
        />
      </InlineField>
      {query.record && (
        <InlineField
          label="Recording name"
          labelWidth={16}
          invalid={nameError !== undefined}
          error={nameError}
          tooltip="Letters, digits and _; the script is named bpflive_rec_<name> on the host. Empty: a hash of the code, so the same code is the same recording for every viewer. A new name (or new code) starts a new recording; the old one's history stays under its old name."
        >
          <CommitInput
            id={id('recordname')}
            width={24}
            placeholder="hash of the code"
            value={query.recordName ?? ''}
            onCommit={(v) => change({ recordName: v.trim() || undefined })}
          />
        </InlineField>
      )}
    </InlineFieldRow>
  );
}

/** The query's other fields, in Grafana's inline style: one concern per field, few rows. */
export function QueryOptions({ query, onChange, onRunQuery, variables, inferredUnit, defaultHostspec, auto }: Props) {
  const format = query.format ?? 'auto';
  // Ids per query: a panel has several query editors on one page.
  const id = (name: string) => `bpflive-${query.refId}-${name}`;
  const change = (patch: Partial<BpftraceQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const flame = (patch: Partial<FlameGraphOptions>) => change({ flameGraph: { ...query.flameGraph, ...patch } });

  const autoFormat = FORMATS.find((f) => f.value === auto?.format && f.value !== 'auto')?.label;
  const formatOptions = FORMATS.map((f) =>
    f.value === 'auto' && autoFormat ? { ...f, label: `Auto (${autoFormat})` } : f
  );
  const autoShown = auto?.shown?.length ? ` (${auto.shown.join(', ')})` : '';
  const mapOptions: Array<ComboboxOption<string>> = [
    {
      value: '',
      label: `Auto${autoShown}`,
      description: 'The maps with data that fit best (per-event scratch maps never), or the printf output',
    },
    ...variables.map((v) => ({ value: v, label: v, description: v === '@output' ? 'printf output' : undefined })),
  ];
  if (query.map && !variables.includes(query.map)) {
    mapOptions.push({
      value: query.map,
      label: query.map,
      description: 'Not exported by the script now',
    });
  }

  return (
    <div data-testid="bpflive-query-options">
      <InlineFieldRow>
        <InlineField
          label="Format"
          labelWidth={LABEL}
          tooltip="How the data is shown; Auto picks from what the PMDA exports."
        >
          <Combobox
            id={id('format')}
            width={24}
            options={formatOptions}
            value={format}
            onChange={(v) => change({ format: v.value })}
          />
        </InlineField>
        <InlineField
          label="Map"
          labelWidth={LABEL}
          tooltip="Which map (or @output, the printf output) to show. Auto picks from the data and says why."
        >
          <Combobox
            id={id('map')}
            width={22}
            options={mapOptions}
            value={query.map ?? ''}
            onChange={(v) => change({ map: v.value ? v.value : undefined })}
          />
        </InlineField>
        <InlineField
          label="Unit"
          labelWidth={8}
          tooltip="The values' unit. Empty: taken from the map's name where it is clear (@lat_ns, @bytes)."
        >
          <UnitPicker
            id={id('unit')}
            width={16}
            value={query.unit}
            onChange={(unit) => change({ unit: unit || undefined })}
          />
        </InlineField>
        {!query.unit && inferredUnit && (
          <span style={{ alignSelf: 'center', marginRight: 8 }} data-testid="bpflive-inferred-unit">
            <Text variant="bodySmall" color="secondary">{`auto: ${inferredUnit}`}</Text>
          </span>
        )}
        <InlineField
          label="Rate"
          labelWidth={7}
          tooltip="Show counters (count(), sum() of hist() buckets) as per-second rates rather than running totals."
        >
          <InlineSwitch
            id={id('rate')}
            value={query.rate !== false}
            onChange={(e) => change({ rate: e.currentTarget.checked })}
          />
        </InlineField>
      </InlineFieldRow>

      <InlineFieldRow>
        {(format === 'auto' || format === 'timeseries') && (
          <InlineField
            label="Legend"
            labelWidth={LABEL}
            tooltip="Series names: $var, $key (or $key0, $key1 … for several keys), $host. Default: @var[key]."
          >
            <CommitInput
              id={id('legend')}
              width={30}
              placeholder="@var[key]"
              value={query.legendFormat ?? ''}
              onCommit={(v) => change({ legendFormat: v || undefined })}
            />
          </InlineField>
        )}
        {format === 'table' && (
          <InlineField label="Top N" labelWidth={LABEL} tooltip="Keep only the N rows with the largest values.">
            <CommitInput
              id={id('topn')}
              width={10}
              type="number"
              placeholder="all"
              value={query.topN === undefined ? '' : String(query.topN)}
              onCommit={(v) => change({ topN: positiveInt(v) })}
            />
          </InlineField>
        )}
        {variables.includes('@output') && (
          <InlineField
            label="Output lines"
            labelWidth={16}
            invalid={outputLinesError(query.outputLines) !== undefined}
            error={outputLinesError(query.outputLines)}
            tooltip={`printf lines the PMDA keeps between two reads (its table-retain-lines), and the lines the panel shows, at most ${OUTPUT_LINES_MAX.toLocaleString('en-US')}. More lines arriving between two reads than this are lost, and the panel says so. Keep it near what two reads bring: the PMDA copies every kept line for each new one, and the panel warns when that costs it more than half a CPU.`}
          >
            <CommitInput
              id={id('outputlines')}
              width={10}
              type="number"
              placeholder="2000"
              value={query.outputLines === undefined ? '' : String(query.outputLines)}
              onCommit={(v) => change({ outputLines: positiveInt(v) })}
            />
          </InlineField>
        )}
        <InlineField
          label="Host"
          labelWidth={8}
          tooltip="The pmcd host to run this script on, as pmproxy reaches it. Empty: the datasource's."
        >
          <CommitInput
            id={id('hostspec')}
            width={24}
            placeholder={defaultHostspec || 'datasource default'}
            value={query.hostspec ?? ''}
            onCommit={(v) => change({ hostspec: v.trim() || undefined })}
          />
        </InlineField>
      </InlineFieldRow>

      {!query.scriptName?.trim() && <RecordFields query={query} id={id} change={change} />}

      {format === 'flamegraph' && (
        <>
          <InlineFieldRow>
            <InlineField
              label="Key parts as roots"
              labelWidth={21}
              tooltip="Map keys besides the stack (comm, pid …) become the top levels."
            >
              <InlineSwitch
                id={id('fg-roots')}
                value={!!query.flameGraph?.keyPartsAsRoots}
                onChange={(e) => flame({ keyPartsAsRoots: e.currentTarget.checked })}
              />
            </InlineField>
            <InlineField
              label="Hide idle"
              labelWidth={12}
              tooltip="Leave out stacks in the idle loop (cpuidle_enter_state, do_idle)."
            >
              <InlineSwitch
                id={id('fg-idle')}
                value={!!query.flameGraph?.hideIdle}
                onChange={(e) => flame({ hideIdle: e.currentTarget.checked })}
              />
            </InlineField>
            <InlineField
              label="Hide unresolved"
              labelWidth={18}
              tooltip="Leave out frames bpftrace could not name (0x7f…)."
            >
              <InlineSwitch
                id={id('fg-unresolved')}
                value={!!query.flameGraph?.hideUnresolved}
                onChange={(e) => flame({ hideUnresolved: e.currentTarget.checked })}
              />
            </InlineField>
            <InlineField
              label="Min samples"
              labelWidth={15}
              tooltip="Leave out stacks seen fewer times over the range."
            >
              <CommitInput
                id={id('fg-min')}
                width={8}
                type="number"
                placeholder="1"
                value={query.flameGraph?.minSamples === undefined ? '' : String(query.flameGraph.minSamples)}
                onCommit={(v) => flame({ minSamples: positiveInt(v) })}
              />
            </InlineField>
          </InlineFieldRow>
          <InlineFieldRow>
            <InlineField
              label="Compare with"
              labelWidth={21}
              tooltip="Draw the change against a baseline as Grafana's diff flame graph: a box is as wide as its samples in both ranges, red where its share grew, green where it shrank."
            >
              <RadioButtonGroup
                size="sm"
                options={COMPARES}
                value={query.flameGraph?.compare ?? 'none'}
                onChange={(compare) => flame({ compare })}
              />
            </InlineField>
            {query.flameGraph?.compare === 'fixed' &&
              BASELINE_ENDS.map((end) => (
                <InlineField key={end.key} label={end.label} labelWidth={end.labelWidth} tooltip={TIME_HELP}>
                  <CommitInput
                    id={id(end.id)}
                    width={22}
                    type="text"
                    placeholder={end.placeholder}
                    value={query.flameGraph?.[end.key] ?? ''}
                    onCommit={(v) => flame({ [end.key]: v.trim() || undefined })}
                  />
                </InlineField>
              ))}
          </InlineFieldRow>
        </>
      )}
    </div>
  );
}

function positiveInt(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}

/** An input that changes the query when it loses focus or on Enter, not per keystroke. */
function CommitInput(props: {
  id: string;
  value: string;
  onCommit: (value: string) => void;
  width: number;
  placeholder?: string;
  type?: 'text' | 'number';
}) {
  // What is being typed; undefined when not editing, so a new value from the query shows.
  const [text, setText] = useState<string | undefined>(undefined);
  const commit = () => {
    if (text !== undefined && text !== props.value) {
      props.onCommit(text);
    }
    setText(undefined);
  };
  return (
    <Input
      id={props.id}
      width={props.width}
      type={props.type ?? 'text'}
      placeholder={props.placeholder}
      value={text ?? props.value}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          commit();
        }
      }}
    />
  );
}
