import React, { useCallback, useRef } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { CodeEditor, Stack } from '@grafana/ui';
import { DataSource } from '../datasource';
import { BpfliveOptions, BpftraceQuery } from '../types';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/** The script is committed when the editor loses focus or on Ctrl/Cmd+S, never per keystroke. */
export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  const latest = useRef(query);
  latest.current = query;

  const commit = useCallback(
    (code: string) => {
      if (code !== latest.current.code) {
        onChange({ ...latest.current, code });
      }
      onRunQuery();
    },
    [onChange, onRunQuery]
  );

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
