import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Alert, Button, RadioButtonGroup, Stack } from '@grafana/ui';
import { DataSource } from '../datasource';
import { BpfliveOptions, BpftraceQuery, RUNNING_SCRIPTS } from '../types';
import { QueryEditor } from './QueryEditor';
import { RunningScriptsEditor } from './RunningScriptsEditor';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/** Grafana's `queryType`: absent is a bpftrace script (every query saved before query types). */
const TYPES = [
  { label: 'bpftrace script', value: 'script' },
  { label: 'Running scripts', value: RUNNING_SCRIPTS },
];

/**
 * Which kind of query this is, and its editor. A saved query without `queryType` stays a script;
 * switching keeps the script's fields, so switching back finds the code as it was.
 */
export function QueryTypeEditor(props: Props) {
  const { query, onChange, onRunQuery } = props;
  const type = query.queryType === RUNNING_SCRIPTS ? RUNNING_SCRIPTS : 'script';
  return (
    <Stack direction="column" gap={1}>
      <RadioButtonGroup
        size="sm"
        options={TYPES}
        value={type}
        onChange={(value) => {
          onChange({ ...query, queryType: value === 'script' ? undefined : value });
          onRunQuery();
        }}
      />
      {type === 'script' && query.scriptName?.trim() && (
        <Alert severity="info" title={`Shows the host's script "${query.scriptName}"`}>
          This query joins a script the host already runs under that name (an autostart or named script of the PMDA);
          the code below is not sent. It never starts, restarts or stops that script.{' '}
          <Button
            size="sm"
            variant="secondary"
            onClick={() => {
              onChange({ ...query, scriptName: undefined });
              onRunQuery();
            }}
          >
            Run the code below instead
          </Button>
        </Alert>
      )}
      {type === RUNNING_SCRIPTS ? <RunningScriptsEditor {...props} /> : <QueryEditor {...props} />}
    </Stack>
  );
}
