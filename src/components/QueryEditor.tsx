import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { CodeEditor, Stack } from '@grafana/ui';
import { DataSource } from '../datasource';
import { BpfliveOptions, BpftraceQuery } from '../types';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/** The script is committed when the editor loses focus or on Ctrl/Cmd+S, never per keystroke. */
export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  const commit = (code: string) => {
    if (code !== query.code) {
      onChange({ ...query, code });
    }
    onRunQuery();
  };

  return (
    <Stack direction="column" gap={1}>
      <div data-testid="bpflive-query-editor">
        <CodeEditor
          value={query.code ?? ''}
          language="plaintext"
          height={200}
          showLineNumbers
          showMiniMap={false}
          onBlur={commit}
          onSave={commit}
        />
      </div>
    </Stack>
  );
}
