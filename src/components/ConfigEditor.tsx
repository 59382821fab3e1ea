import React, { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { DataSourceHttpSettings, Field, FieldSet, Input, Stack } from '@grafana/ui';
import { pollIntervalProblem, retentionProblem } from '../settings/settings';
import { BpfliveOptions, DEFAULT_HOSTSPEC, DEFAULT_POLL_INTERVAL_SEC, DEFAULT_RETENTION, DEFAULT_URL } from '../types';

type Props = DataSourcePluginOptionsEditorProps<BpfliveOptions>;

/**
 * URL and basic auth come from Grafana's standard HTTP settings, so the password lands in
 * secureJsonData and Grafana's proxy adds it to each request: the browser never holds it.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData } = options;
  const setJson = <K extends keyof BpfliveOptions>(key: K, value: BpfliveOptions[K]) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, [key]: value } });

  const pollText = jsonData.pollIntervalSec === undefined ? '' : String(jsonData.pollIntervalSec);
  const pollError = pollIntervalProblem(jsonData.pollIntervalSec);
  const retentionError = retentionProblem(jsonData.retention);

  return (
    <Stack direction="column" gap={2}>
      {/* Grafana's standard HTTP settings: deprecated in favour of @grafana/plugin-ui, which
          would be bundled into module.js; this one is provided by Grafana at run time. */}
      {/* eslint-disable-next-line @typescript-eslint/no-deprecated */}
      <DataSourceHttpSettings
        defaultUrl={DEFAULT_URL}
        dataSourceConfig={options}
        onChange={onOptionsChange}
        showAccessOptions={false}
      />
      <FieldSet label="Performance Co-Pilot">
        <Field
          label="Host specification"
          description="The pmcd host that runs the bpftrace PMDA, as pmproxy reaches it (for example localhost or pcp://db1:44321)."
        >
          <Input
            id="bpflive-hostspec"
            width={40}
            placeholder={DEFAULT_HOSTSPEC}
            value={jsonData.hostspec ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('hostspec', e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Poll interval (seconds)"
          description="How often panels update. The PMDA refreshes values once a second, so 1 is the fastest that shows anything new."
          invalid={!!pollError}
          error={pollError}
        >
          <Input
            id="bpflive-poll-interval"
            type="number"
            width={20}
            min={1}
            step={1}
            placeholder={String(DEFAULT_POLL_INTERVAL_SEC)}
            value={pollText}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              const text = e.currentTarget.value.trim();
              setJson('pollIntervalSec', text === '' ? undefined : Number(text));
            }}
          />
        </Field>
        <Field
          label="Retention"
          description="How much history each panel keeps in the browser, for example 30m or 2h."
          invalid={!!retentionError}
          error={retentionError}
        >
          <Input
            id="bpflive-retention"
            width={20}
            placeholder={DEFAULT_RETENTION}
            value={jsonData.retention ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('retention', e.currentTarget.value)}
          />
        </Field>
      </FieldSet>
    </Stack>
  );
}
