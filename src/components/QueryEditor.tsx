import React, { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Alert, Button, InlineSwitch, RadioButtonGroup, Stack, Tooltip } from '@grafana/ui';
import { DataSource } from '../datasource';
import { inferUnit } from '../query/units';
import { blockingDiagnostics, blockingOf } from '../language/blocking';
import { parseBpftraceErrors } from '../language/bpftraceErrors';
import { hostFactsOf } from '../language/failureReasons';
import { Diagnostic, sortDiagnostics } from '../language/diagnostics';
import { lint, urlBudget } from '../language/lints';
import {
  loadedProbeCatalog,
  loadProbeCatalog,
  ProbeCatalog,
  probeCatalogError,
  ProbeListSource,
} from '../language/probeCatalog';
import { migrateQuery } from '../query/migrate';
import {
  BpfliveOptions,
  BpftraceQuery,
  QUERY_TYPE_METRIC,
  QUERY_TYPE_RUNNING_SCRIPTS,
  QUERY_TYPE_SCRIPT,
  QueryFormat,
} from '../types';
import { CheatSheet } from './CheatSheet';
import { DownloadButton } from './DownloadButton';
import { MetricQueryEditor } from './MetricQueryEditor';
import { queryRunOf } from './panelData';
import { mapChoices } from './mapChoices';
import { QueryOptions } from './QueryOptions';
import { RunningScriptsEditor } from './RunningScriptsEditor';
import { runVersion } from './runVersion';
import { EditorHandle, ErrorMarks, RunTrigger, ScriptEditor } from './ScriptEditor';
import { ScriptStatus, StopRecordingButton } from './ScriptStatus';
import { recordingOf, withFormerRecording } from '../query/recording';
import { VariablesLine } from './VariablesLine';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/** The kinds of query, in the selector above the editor (DataQuery's own `queryType`). */
const QUERY_TYPES = [
  { label: 'bpftrace script', value: QUERY_TYPE_SCRIPT },
  { label: 'PCP metric', value: QUERY_TYPE_METRIC },
  { label: 'Running scripts', value: QUERY_TYPE_RUNNING_SCRIPTS },
];

/**
 * The query editor: which kind of query (a bpftrace script, PCP metrics, the host's running
 * scripts), then that kind's editor.
 * Switching keeps the other kind's fields, so switching back finds them again; nothing runs on a
 * switch (a script runs only when asked).
 */
export function QueryEditor(props: Props) {
  const query = useMemo(() => migrateQuery(props.query), [props.query]);
  const type =
    query.queryType === QUERY_TYPE_METRIC || query.queryType === QUERY_TYPE_RUNNING_SCRIPTS
      ? query.queryType
      : QUERY_TYPE_SCRIPT;
  return (
    <Stack direction="column" gap={1}>
      <div data-testid="bpflive-query-type">
        <RadioButtonGroup
          size="sm"
          options={QUERY_TYPES}
          value={type}
          onChange={(queryType) => {
            props.onChange({ ...query, queryType });
            // Listing the host's scripts starts nothing, so it shows at once.
            if (queryType === QUERY_TYPE_RUNNING_SCRIPTS) {
              props.onRunQuery();
            }
          }}
        />
      </div>
      {type === QUERY_TYPE_METRIC && <MetricQueryEditor {...props} query={query} />}
      {type === QUERY_TYPE_RUNNING_SCRIPTS && <RunningScriptsEditor {...props} query={query} />}
      {type === QUERY_TYPE_SCRIPT && query.scriptName?.trim() && (
        <JoinedScriptNotice
          name={query.scriptName}
          onRunCode={() => {
            props.onChange({ ...query, scriptName: undefined });
            props.onRunQuery();
          }}
        />
      )}
      {type === QUERY_TYPE_SCRIPT && <ScriptQueryEditor {...props} />}
    </Stack>
  );
}

/** A script query that shows a script the host already runs, by name: the code is not sent. */
function JoinedScriptNotice({ name, onRunCode }: { name: string; onRunCode: () => void }) {
  return (
    <Alert severity="info" title={`Shows the host's script "${name}"`}>
      This query joins a script the host already runs under that name (an autostart or named script of the PMDA); the
      code below is not sent. It never starts, restarts or stops that script.{' '}
      <Button size="sm" variant="secondary" onClick={onRunCode}>
        Run the code below instead
      </Button>
    </Alert>
  );
}

/**
 * The bpftrace query editor. bpftrace runs as root on the host, so a script reaches it only when
 * the user runs it: Shift+Enter (Ctrl/Cmd+Enter, Ctrl/Cmd+S), the Run button, or leaving the
 * editor; with "Live run" on, also when typing stops. Until then the text is a draft kept here:
 * the query (what Grafana runs on every refresh) keeps the code last run. A script with an error
 * the editor knows of is never run (blockingDiagnostics). Under the editor: which version runs
 * and what it is doing, the problems found before and after running; then the query's options.
 */
function ScriptQueryEditor({ query: saved, onChange: save, onRunQuery, datasource, data }: Props) {
  // Saved by an older version (e.g. `variable` for the map): edited, and saved back, as current.
  const query = useMemo(() => migrateQuery(saved), [saved]);
  // A recorded query whose code or name changes starts a new recording: the old name is kept.
  const onChange = useCallback((next: BpftraceQuery) => save(withFormerRecording(query, next)), [query, save]);
  const code = query.code ?? '';
  const liveRun = query.liveRun === true;
  const [draft, setDraft] = useState(code);
  // When this editor last ran which code: the status names the version by it.
  const [ran, setRan] = useState<{ code: string; at: Date } | undefined>(undefined);
  // A run was refused for errors in the text; the status says so until they are fixed.
  const [refused, setRefused] = useState(false);
  // The probes of the host this query runs on: its own hostspec, or the datasource's.
  const endpointKey = query.hostspec?.trim() ?? '';
  const { catalog, error: catalogError } = useProbeCatalog(datasource, endpointKey);
  const editor = useRef<EditorHandle | undefined>(undefined);
  const [examplesOpen, setExamplesOpen] = useState(false);
  // The recording this query runs (its name), for Stop recording; none when Record is off or the name is bad.
  const recording = useMemo(() => {
    try {
      return recordingOf(query)?.name;
    } catch {
      return undefined;
    }
  }, [query]);
  // An example's format, applied when its code is run (not before: the old script still shows).
  const exampleFormat = useRef<QueryFormat | undefined>(undefined);

  // Callbacks the editor keeps: they read the latest props.
  const latest = useRef({ query, onChange, onRunQuery, catalog });
  useLayoutEffect(() => {
    latest.current = { query, onChange, onRunQuery, catalog };
  });
  const onCommit = useCallback((text: string, trigger: RunTrigger) => {
    const { query: q, onChange: change, onRunQuery: run, catalog: hostProbes } = latest.current;
    const changed = text !== (q.code ?? '');
    if (!changed && trigger !== 'run') {
      return;
    }
    // Checked on the exact text to be run, not the debounced draft: nothing with an error passes.
    if (blockingDiagnostics(text, hostProbes).length > 0) {
      setRefused(true);
      return;
    }
    setRefused(false);
    const format = exampleFormat.current;
    exampleFormat.current = undefined;
    if (changed || format) {
      change({ ...q, code: text, ...(format ? { format, map: undefined } : {}) });
    }
    setRan({ code: text, at: new Date() });
    run();
  }, []);
  const runNow = useCallback(() => {
    if (editor.current) {
      editor.current.run();
    } else {
      // Monaco has not loaded yet, so nothing was typed: run the query's code again.
      onCommit(latest.current.query.code ?? '', 'run');
    }
  }, [onCommit]);
  const setLiveRun = (on: boolean) => {
    // Only the option changes: the draft is not committed by it (with live run on, the editor
    // runs it on its own if it has no error).
    onChange({ ...query, liveRun: on || undefined });
  };

  const lints = useMemo(() => lint(draft, { catalog }), [draft, catalog]);
  const blocking = useMemo(() => blockingOf(lints).length, [lints]);
  const budget = useMemo(() => urlBudget(draft), [draft]);
  // Fixed: the refusal is over, so that a later error does not show it again before a run is asked
  // for. (Set while rendering, as React advises for state that follows other state.)
  if (refused && blocking === 0) {
    setRefused(false);
  }

  const run = queryRunOf(data, query.refId);
  const version = runVersion({
    committed: code,
    draft,
    ranAt: ran?.code === code ? ran.at : undefined,
    reported: run.state !== undefined || run.errors.length > 0,
    blocking,
    refused,
    liveRun,
  });
  const errorText = run.errors.join('\n');
  const ranCode = run.code ?? code;
  const report = useMemo(
    () => (errorText ? parseBpftraceErrors(errorText, ranCode, hostFactsOf(catalog)) : { diagnostics: [], notes: [] }),
    [errorText, ranCode, catalog]
  );
  const errorMarks = useMemo<ErrorMarks>(() => ({ code: ranCode, diagnostics: report.diagnostics }), [ranCode, report]);
  const problems: Diagnostic[] = useMemo(
    () => sortDiagnostics([...(ranCode === draft ? report.diagnostics : []), ...lints]),
    [ranCode, draft, report, lints]
  );

  const variables = useMemo(
    () => mapChoices(draft, { code: run.code, variables: run.state?.variables }),
    [draft, run.code, run.state]
  );
  const shown = query.map || variables.find((v) => v !== '@output');
  // The dashboard's variables as they would be written into the text being edited.
  const request = data?.request;
  const dashboardVariables = useMemo(() => {
    try {
      return {
        replaced: datasource.interpolate({ ...query, code: draft }, request?.scopedVars, request?.filters).replaced,
      };
    } catch (e) {
      return { replaced: [], error: e instanceof Error ? e.message : String(e) };
    }
  }, [datasource, query, draft, request]);
  const insertExample = (example: BpftraceQuery) => {
    exampleFormat.current = example.format;
    editor.current?.replace(example.code);
    setExamplesOpen(false);
  };

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
        liveRun={liveRun}
        onReady={(handle) => (editor.current = handle)}
      />
      <ScriptStatus
        state={run.state}
        errors={run.errors}
        version={version}
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
        actions={
          <>
            <Button
              size="sm"
              variant="secondary"
              fill="text"
              icon="book"
              data-testid="bpflive-examples"
              onClick={() => setExamplesOpen(!examplesOpen)}
            >
              Examples
            </Button>
            <DownloadButton data={data} refId={query.refId} />
            {recording && datasource.mayRecord && (
              <StopRecordingButton
                name={recording}
                onStop={async () => {
                  // Record off first: this panel's lease lets go of the recording, so nothing here starts it again.
                  onChange({ ...query, record: undefined });
                  onRunQuery();
                  await datasource.stopRecording(recording, query.hostspec);
                }}
              />
            )}
            <RunControls refId={query.refId} liveRun={liveRun} onLiveRun={setLiveRun} onRun={runNow} />
          </>
        }
      />
      <VariablesLine replaced={dashboardVariables.replaced} error={dashboardVariables.error} />
      {examplesOpen && <CheatSheet query={query} onClickExample={insertExample} />}
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

/** The Run button and the Live run switch, at the end of the status line under the editor. */
function RunControls(props: { refId: string; liveRun: boolean; onLiveRun: (on: boolean) => void; onRun: () => void }) {
  const id = `bpflive-${props.refId}-live-run`;
  return (
    <>
      <Tooltip content="Also run the script when typing stops for a second, if the editor finds no error in it.">
        <span>
          <InlineSwitch
            id={id}
            label="Live run"
            showLabel
            transparent
            value={props.liveRun}
            onChange={(e) => props.onLiveRun(e.currentTarget.checked)}
          />
        </span>
      </Tooltip>
      <Button
        size="sm"
        icon="play"
        variant="primary"
        tooltip="Run the script as it is in the editor (Shift+Enter)"
        data-testid="bpflive-run"
        // Clicking keeps the focus in the editor: no blur, which would run the text a second time.
        onMouseDown={(e) => e.preventDefault()}
        onClick={props.onRun}
      >
        Run
      </Button>
    </>
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
