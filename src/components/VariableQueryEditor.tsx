import React, { ChangeEvent } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, Input, Stack } from '@grafana/ui';
import { DataSource } from '../datasource';
import { BpfliveOptions, BpfliveVariableQuery, BpftraceQuery, VariableQueryKind } from '../types';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions, BpfliveVariableQuery>;

/** The lists a variable can offer, and the fields each needs. */
export const KINDS: Array<ComboboxOption<VariableQueryKind> & { fields: Array<keyof BpfliveVariableQuery> }> = [
  {
    value: 'hosts',
    label: 'Hosts',
    description: 'The hosts in the datasource settings whose pmcd answers',
    fields: [],
  },
  {
    value: 'recordedHosts',
    label: 'Recorded hosts',
    description:
      'The hosts pmlogger records into pmproxy\'s series store (their hostname label): for metric queries with Source "Series store"',
    fields: [],
  },
  {
    value: 'probes',
    label: 'Probes',
    description: "The host's probes matching a pattern (bpftrace's * wildcard)",
    fields: ['hostspec', 'pattern'],
  },
  {
    value: 'scripts',
    label: 'Running scripts',
    description: 'The scripts the PMDA runs on the host now',
    fields: ['hostspec'],
  },
  {
    value: 'mapKeys',
    label: 'Map keys',
    description: "The keys a running script's map has now (pick a process the script has seen)",
    fields: ['hostspec', 'script', 'map'],
  },
  {
    value: 'instances',
    label: 'Metric instances',
    description: "Any PCP metric's instances",
    fields: ['hostspec', 'metric'],
  },
  {
    value: 'processes',
    label: 'Processes',
    description: 'The processes running on the host (value: pid)',
    fields: ['hostspec'],
  },
];

const FIELDS: Record<string, { label: string; placeholder: string; tooltip: string }> = {
  hostspec: {
    label: 'Host',
    placeholder: 'the datasource host',
    tooltip: 'A pmcd host this pmproxy reaches; may be $host.',
  },
  pattern: { label: 'Pattern', placeholder: 'kprobe:vfs_*', tooltip: 'Probes matching it; * matches any characters.' },
  script: {
    label: 'Script',
    placeholder: 'script id or name, or its code',
    tooltip: 'A running script: its id or name (see a Running scripts variable), or the code a panel runs.',
  },
  map: { label: 'Map', placeholder: '@bytes', tooltip: "The script's map whose keys to list." },
  metric: { label: 'Metric', placeholder: 'kernel.percpu.cpu.user', tooltip: 'A PCP metric with an instance domain.' },
};

/** The small editor of a bpflive dashboard variable: which list, and where from. */
export function VariableQueryEditor({ query, onChange }: Props) {
  const kind = KINDS.find((k) => k.value === query.kind) ?? KINDS[0];
  const set = (change: Partial<BpfliveVariableQuery>) =>
    onChange({ ...query, refId: query.refId ?? 'variable', kind: kind.value, ...change });
  return (
    <Stack direction="column" gap={0}>
      <InlineField label="List" labelWidth={14} tooltip={kind.description}>
        <Combobox
          id="bpflive-variable-kind"
          width={40}
          options={KINDS}
          value={kind.value}
          onChange={(v) => set({ kind: v.value })}
        />
      </InlineField>
      {kind.fields.map((field) => {
        const f = FIELDS[field];
        return (
          <InlineField key={field} label={f.label} labelWidth={14} tooltip={f.tooltip}>
            <Input
              id={`bpflive-variable-${field}`}
              width={60}
              placeholder={f.placeholder}
              defaultValue={String(query[field] ?? '')}
              // Saved when the field is left, as Grafana's own variable editors do: each change runs the query.
              onBlur={(e: ChangeEvent<HTMLInputElement>) => set({ [field]: e.currentTarget.value })}
            />
          </InlineField>
        );
      })}
    </Stack>
  );
}
