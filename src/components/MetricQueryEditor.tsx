import React, { useEffect, useId, useMemo, useRef, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, InlineSwitch, Input, RadioButtonGroup, Stack, Text } from '@grafana/ui';
import { DataSource } from '../datasource';
import { MetricState } from '../query/metricResponse';
import { BpftraceQuery, BpfliveOptions, MetricSource } from '../types';

const SOURCES: Array<{ label: string; value: MetricSource; description: string }> = [
  {
    label: 'Live (poll each host)',
    value: 'live',
    description: 'Every tick, one fetch per host from its pmcd: exact and current, but one poll per host.',
  },
  {
    label: 'Series store (one query for all hosts)',
    value: 'series',
    description:
      "What pmlogger recorded, from pmproxy's series store: one query per refresh for every host, at pmlogger's interval.",
  },
];

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/** At most this many completions under the Metrics field (a node of the namespace can be large). */
const MAX_COMPLETIONS = 200;

/**
 * The PCP metric query editor: metric names or globs with completion from the host's own
 * namespace (each level asked once from /pmapi/children as the user types a '.'), an instance
 * filter, a legend and the host. A metric query only reads (no code runs on the host), so it runs
 * as soon as a field is left or Enter is pressed. Under the fields: what PCP says of each metric
 * read (its semantics and units), so a user sees why a counter is drawn as a rate.
 */
export function MetricQueryEditor({ query, onChange, onRunQuery, datasource, data }: Props) {
  const listId = `bpflive-metrics-${useId().replace(/:/g, '')}`;
  const [metrics, setMetrics] = useState(query.metrics ?? '');
  const completions = useNamespaceCompletions(datasource, query.hostspec?.trim() ?? '', metrics);
  const commit = (patch: Partial<BpftraceQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const state = data?.series.find((f) => f.refId === query.refId && f.meta?.custom?.pcp)?.meta?.custom?.pcp as
    MetricState | undefined;

  return (
    <Stack direction="column" gap={1}>
      <InlineFieldRow>
        <InlineField
          label="Metrics"
          labelWidth={14}
          grow
          tooltip="PCP metric names, globs (disk.dev.*) or subtrees (disk.dev), separated by commas or spaces. Type a '.' to list the next level of the host's namespace."
        >
          <Input
            data-testid="bpflive-metrics"
            list={listId}
            value={metrics}
            placeholder="kernel.all.load, disk.dev.*"
            onChange={(e) => setMetrics(e.currentTarget.value)}
            onBlur={() => metrics !== (query.metrics ?? '') && commit({ metrics })}
            onKeyDown={(e) => e.key === 'Enter' && commit({ metrics })}
          />
        </InlineField>
        <datalist id={listId} data-testid="bpflive-metric-completions">
          {completions.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </InlineFieldRow>
      <InlineFieldRow>
        <CommitInput
          label="Instances"
          testId="bpflive-instances"
          tooltip="Instance names to show: globs separated by | (sd*|nvme*), or a /regular expression/. Empty: all."
          placeholder="all"
          value={query.instances}
          onCommit={(instances) => commit({ instances: instances || undefined })}
        />
        <CommitInput
          label="Legend"
          testId="bpflive-metric-legend"
          tooltip="Series names: $metric, $instance, $host. Default: metric[instance]."
          placeholder="$metric[$instance]"
          value={query.legendFormat}
          onCommit={(legendFormat) => commit({ legendFormat: legendFormat || undefined })}
        />
        <CommitInput
          label="Host"
          testId="bpflive-metric-host"
          tooltip="The pmcd host (default: the datasource's); a multi-value variable reads each of its hosts."
          placeholder={datasource.settings?.hostspec}
          value={query.hostspec}
          onCommit={(hostspec) => commit({ hostspec: hostspec || undefined })}
        />
        <InlineField
          label="Counters as rates"
          tooltip="PCP counters (their semantics say so) as per-second rates; off: the raw counts."
        >
          <InlineSwitch
            value={query.rate !== false}
            onChange={(e) => commit({ rate: e.currentTarget.checked ? undefined : false })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Source"
          labelWidth={14}
          tooltip="Live reads each host's pmcd every tick. Series store reads what pmlogger records for all hosts in one query per refresh (the dashboard's refresh, not every tick); * as Host reads every host it records."
        >
          <RadioButtonGroup
            data-testid="bpflive-metric-source"
            options={SOURCES}
            value={query.metricSource ?? 'live'}
            onChange={(metricSource) => commit({ metricSource: metricSource === 'live' ? undefined : metricSource })}
          />
        </InlineField>
        {query.metricSource === 'series' && (
          <>
            <InlineField
              label="Outliers"
              tooltip="Mark hosts whose mean over the range lies outside their peers' mean ± k·σ (red, '(outlier)'); with the Table format, the table of every host's z."
            >
              <InlineSwitch
                data-testid="bpflive-outliers"
                value={query.outliers === true}
                onChange={(e) => commit({ outliers: e.currentTarget.checked || undefined })}
              />
            </InlineField>
            {query.outliers && (
              <InlineField
                label="Show"
                tooltip="Time series with the outliers marked, or the table of every host's mean, peers' mean, σ and z."
              >
                <RadioButtonGroup
                  data-testid="bpflive-outlier-view"
                  options={[
                    { label: 'Series, marked', value: 'timeseries' },
                    { label: 'Table', value: 'table' },
                  ]}
                  value={query.format === 'table' ? 'table' : 'timeseries'}
                  onChange={(view) => commit({ format: view === 'table' ? 'table' : undefined })}
                />
              </InlineField>
            )}
            {query.outliers && (
              <CommitInput
                label="k"
                testId="bpflive-outlier-k"
                tooltip="How many standard deviations from the peers' mean make an outlier (default 2)."
                placeholder="2"
                value={query.outlierK === undefined ? undefined : String(query.outlierK)}
                onCommit={(k) => {
                  const value = Number(k);
                  commit({ outlierK: k === '' || !(value > 0) ? undefined : value });
                }}
              />
            )}
          </>
        )}
      </InlineFieldRow>
      {state && state.metrics.length > 0 && <Descriptors state={state} rate={query.rate !== false} />}
    </Stack>
  );
}

/** A text field that changes the query when left or on Enter, not on every key. */
function CommitInput(props: {
  label: string;
  testId: string;
  tooltip: string;
  placeholder?: string;
  value?: string;
  onCommit: (value: string) => void;
}) {
  const [text, setText] = useState(props.value ?? '');
  const commit = () => text.trim() !== (props.value ?? '') && props.onCommit(text.trim());
  return (
    <InlineField label={props.label} tooltip={props.tooltip}>
      <Input
        data-testid={props.testId}
        width={24}
        value={text}
        placeholder={props.placeholder}
        onChange={(e) => setText(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </InlineField>
  );
}

/** What PCP says of each metric read: `disk.dev.read_bytes: counter, Kbyte → per-second rate`. */
function Descriptors({ state, rate }: { state: MetricState; rate: boolean }) {
  const shown = state.metrics.slice(0, 10);
  return (
    <div data-testid="bpflive-metric-descriptors">
      {shown.map((m) => (
        <div key={m.name}>
          <Text variant="bodySmall" color="secondary">
            {m.name}: {m.sem}
            {m.units && m.units !== 'none' ? `, ${m.units}` : ''}
            {m.sem === 'counter' && rate ? ' → per-second rate' : ''}
            {m.oneline ? ` — ${m.oneline}` : ''}
          </Text>
        </div>
      ))}
      {state.metrics.length > shown.length && (
        <Text variant="bodySmall" color="secondary">
          and {state.metrics.length - shown.length} more
        </Text>
      )}
    </div>
  );
}

/**
 * Completions for the name being typed (the last one of the field): the children of the level it
 * is in, each written out as the whole field would read with it. One /pmapi/children per level
 * and host, cached for the editor's life; a level the host does not have offers nothing.
 */
function useNamespaceCompletions(datasource: DataSource, hostspec: string, text: string): string[] {
  const cache = useRef(new Map<string, Promise<{ leaf: string[]; nonleaf: string[] }>>());
  const [level, setLevel] = useState<{ key: string; names: string[] }>({ key: '', names: [] });
  const head = text.replace(/[^\s,]*$/, '');
  const current = text.slice(head.length);
  const prefix = current.includes('.') ? current.slice(0, current.lastIndexOf('.')) : '';
  const key = `${hostspec}|${prefix}`;
  useEffect(() => {
    let live = true;
    let answer = cache.current.get(key);
    if (!answer) {
      answer = datasource.metricChildren(prefix, hostspec || undefined);
      cache.current.set(key, answer);
    }
    answer
      .then((c) => live && setLevel({ key, names: [...c.nonleaf.map((n) => `${n}.`), ...c.leaf].sort() }))
      .catch(() => live && setLevel({ key, names: [] }));
    return () => {
      live = false;
    };
  }, [datasource, hostspec, prefix, key]);
  return useMemo(
    () =>
      level.key === key
        ? level.names.slice(0, MAX_COMPLETIONS).map((n) => `${head}${prefix ? `${prefix}.` : ''}${n}`)
        : [],
    [level, key, head, prefix]
  );
}
