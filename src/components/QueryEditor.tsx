import React, { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Stack } from '@grafana/ui';
import { DataSource } from '../datasource';
import { inferUnit } from '../frames/units';
import { parseBpftraceErrors } from '../language/bpftraceErrors';
import { Diagnostic, sortDiagnostics } from '../language/diagnostics';
import { lint, urlBudget } from '../language/lints';
import { pmdaView, VALID_MAP_NAME } from '../language/pmdaView';
import {
  loadedProbeCatalog,
  loadProbeCatalog,
  ProbeCatalog,
  probeCatalogError,
  ProbeListSource,
} from '../language/probeCatalog';
import { BpfliveOptions, BpftraceQuery } from '../types';
import { queryRunOf } from './panelData';
import { QueryOptions } from './QueryOptions';
import { EditorHandle, ErrorMarks, ScriptEditor } from './ScriptEditor';
import { ScriptStatus } from './ScriptStatus';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/**
 * The bpftrace query editor. The script runs about a second after typing stops, when the editor
 * loses focus, or on Shift+Enter (Ctrl/Cmd+S too) — never per keystroke. Under it: what the
 * script is doing and the problems found before and after running; then the query's options.
 */
export function QueryEditor({ query, onChange, onRunQuery, datasource, data }: Props) {
  const code = query.code ?? '';
  const [draft, setDraft] = useState(code);
  // The probes of the host this query runs on: its own hostspec, or the datasource's.
  const endpointKey = query.hostspec?.trim() ?? '';
  const { catalog, error: catalogError } = useProbeCatalog(datasource, endpointKey);
  const editor = useRef<EditorHandle | undefined>(undefined);

  // Callbacks the editor keeps: they read the latest props.
  const latest = useRef({ query, onChange, onRunQuery });
  useLayoutEffect(() => {
    latest.current = { query, onChange, onRunQuery };
  });
  const onCommit = useCallback((text: string, force: boolean) => {
    const { query: q, onChange: change, onRunQuery: run } = latest.current;
    if (text !== (q.code ?? '')) {
      change({ ...q, code: text });
      run();
    } else if (force) {
      run();
    }
  }, []);

  const lints = useMemo(() => lint(draft, { catalog }), [draft, catalog]);
  const budget = useMemo(() => urlBudget(draft), [draft]);

  const run = queryRunOf(data, query.refId);
  const errorText = run.errors.join('\n');
  const ranCode = run.code ?? code;
  const report = useMemo(
    () => (errorText ? parseBpftraceErrors(errorText, ranCode) : { diagnostics: [], notes: [] }),
    [errorText, ranCode]
  );
  const errorMarks = useMemo<ErrorMarks>(() => ({ code: ranCode, diagnostics: report.diagnostics }), [ranCode, report]);
  const problems: Diagnostic[] = useMemo(
    () => sortDiagnostics([...(ranCode === draft ? report.diagnostics : []), ...lints]),
    [ranCode, draft, report, lints]
  );

  const variables = useMemo(() => {
    if (run.state && run.state.variables.length > 0) {
      return run.state.variables;
    }
    return pmdaView(draft)
      .variables.map((v) => v.name)
      .filter((n) => VALID_MAP_NAME.test(n));
  }, [run.state, draft]);
  const shown = query.variable || variables.find((v) => v !== '@output');
  const loadCatalog = useCallback(
    () => loadProbeCatalog(datasource, endpointKey).catch(() => undefined),
    [datasource, endpointKey]
  );
  const catalogNow = useCallback(() => loadedProbeCatalog(datasource, endpointKey), [datasource, endpointKey]);

  return (
    <Stack direction="column" gap={1}>
      <ScriptEditor
        code={code}
        diagnostics={lints}
        errorMarks={errorMarks}
        catalog={catalogNow}
        loadCatalog={loadCatalog}
        onDraft={setDraft}
        onCommit={onCommit}
        onReady={(handle) => (editor.current = handle)}
      />
      <ScriptStatus
        state={run.state}
        errors={run.errors}
        pending={draft !== code}
        problems={problems}
        notes={report.notes}
        hints={
          catalogError
            ? [
                `The host's probe list could not be fetched (${catalogError}): probe completion and the checks against the host are off. It is tried again later.`,
              ]
            : []
        }
        budget={budget}
        onReveal={(line, column) => editor.current?.reveal(line, column)}
      />
      <QueryOptions
        query={query}
        onChange={onChange}
        onRunQuery={onRunQuery}
        variables={variables}
        inferredUnit={shown ? inferUnit(shown) : undefined}
        defaultHostspec={datasource.settings?.hostspec}
        auto={run.state ? { format: run.state.format, shown: run.state.shown } : undefined}
      />
    </Stack>
  );
}

/** The host's probe catalog: fetched once per datasource and host, on the first editor that needs it. */
function useProbeCatalog(source: ProbeListSource, endpointKey: string): { catalog?: ProbeCatalog; error?: string } {
  const [state, setState] = useState<{ key: string; catalog?: ProbeCatalog; error?: string }>(() => ({
    key: endpointKey,
    catalog: loadedProbeCatalog(source, endpointKey),
    error: probeCatalogError(source, endpointKey),
  }));
  useEffect(() => {
    let live = true;
    loadProbeCatalog(source, endpointKey)
      .then((catalog) => live && setState({ key: endpointKey, catalog }))
      .catch((e: unknown) => live && setState({ key: endpointKey, error: e instanceof Error ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [source, endpointKey]);
  // Until the other host's list arrives, nothing: the old host's probes would mislead.
  return state.key === endpointKey ? state : {};
}
