import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { createDataFrame, LoadingState, PanelData, getDefaultTimeRange } from '@grafana/data';
import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { DataSource } from '../datasource';
import { BpftraceQuery, QUERY_MODEL_VERSION } from '../types';
import { fake } from '../test/fakeCodeEditor';
import { QueryEditor } from './QueryEditor';
import { DRAFT_DELAY_MS, RUN_DELAY_MS } from './ScriptEditor';

jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  CodeEditor: jest.requireActual('../test/fakeCodeEditor').FakeCodeEditor,
}));

// Grafana's Combobox measures its text on a canvas; the scaffold's jsdom stub returns no context.
beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => ({
    measureText: (text: string) => ({ width: text.length * 7 }),
  })) as unknown as typeof HTMLCanvasElement.prototype.getContext;
});

const HOST_PROBES = 'tracepoint:syscalls:sys_enter_read,tracepoint:sched:sched_switch,iter:task';

function makeDatasource(list = HOST_PROBES) {
  return {
    fetchProbeList: jest.fn().mockResolvedValue(list),
    // The real interpolation, over the template service a test sets (none: no variables).
    interpolate: DataSource.prototype.interpolate,
    settings: { hostspec: 'localhost' },
  } as unknown as DataSource & { fetchProbeList: jest.Mock };
}

function panelData(query: BpftraceQuery, state: object | undefined, errors: string[] = []): PanelData {
  return {
    state: LoadingState.Streaming,
    series: state ? [createDataFrame({ refId: query.refId, fields: [], meta: { custom: { bpflive: state } } })] : [],
    errors: errors.map((message) => ({ refId: query.refId, message })),
    timeRange: getDefaultTimeRange(),
    request: { targets: [query] } as unknown as PanelData['request'],
  };
}

function setup(query: BpftraceQuery, data?: PanelData, datasource = makeDatasource()) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const view = render(
    <QueryEditor query={query} onChange={onChange} onRunQuery={onRunQuery} datasource={datasource} data={data} />
  );
  const rerender = (q: BpftraceQuery, d?: PanelData) =>
    view.rerender(
      <QueryEditor query={q} onChange={onChange} onRunQuery={onRunQuery} datasource={datasource} data={d} />
    );
  return { onChange, onRunQuery, view, rerender, datasource };
}

/** Lets the probe list promise and React state settle. */
const settle = () => act(async () => {});

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
  setTemplateSrv(undefined as unknown as TemplateSrv);
});

describe('QueryEditor: running', () => {
  const query: BpftraceQuery = { refId: 'A', code: 'BEGIN { @a = 1; }' };
  const edited = 'BEGIN { @a = 1; @b = 2; }';
  /** An error the editor knows of: the PMDA refuses a histogram in a keyed map. */
  const refusedByPmda = 'BEGIN { @a = 1; @h[comm] = hist(2); }';
  const runAction = () => fake.current!.actions.find((a) => a.id === 'bpflive.run')!;
  const version = () => screen.getByTestId('bpflive-version');

  it('never runs what is typed while live run is off, however long typing stops', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    act(() => fake.current!.type('BEGIN { @a = 1; @b'));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 5));
    act(() => fake.current!.type(edited));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 5));
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(version()).toHaveTextContent('Shift+Enter or Run to run these changes');
    expect(fake.current!.value).toBe(edited);
  });

  it('keeps the draft when Grafana re-renders the query, and runs nothing', async () => {
    const { onChange, onRunQuery, rerender } = setup(query);
    await settle();
    act(() => fake.current!.type(edited));
    // A refresh: the same query, new data. The draft stays in the editor only.
    rerender({ ...query }, panelData(query, { status: 'started', probes: 1, variables: ['@a'], warnings: [] }));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 2));
    expect(fake.current!.value).toBe(edited);
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('runs the text once on Shift+Enter (Ctrl/Cmd+Enter too)', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    expect(runAction().keybindings).toEqual([1024 | 3, 2048 | 3]);
    act(() => fake.current!.type(edited));
    act(() => runAction().run());
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', version: QUERY_MODEL_VERSION, code: edited });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 2));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('runs unchanged code again on Shift+Enter', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    act(() => runAction().run());
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('runs the text once on Ctrl/Cmd+S', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    act(() => fake.current!.type(edited));
    fireEvent.keyDown(screen.getByTestId('fake-code-editor'), { key: 's', ctrlKey: true });
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', version: QUERY_MODEL_VERSION, code: edited });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('runs the text once from the Run button, which leaves the focus in the editor', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    act(() => fake.current!.type(edited));
    const button = screen.getByTestId('bpflive-run');
    expect(button).toHaveTextContent('Run');
    // mousedown's default would blur the editor, and the blur would run the text a second time.
    expect(fireEvent.mouseDown(button)).toBe(false);
    fireEvent.click(button);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', version: QUERY_MODEL_VERSION, code: edited });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('runs on blur when the text changed, and not when it did not', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    fireEvent.blur(screen.getByTestId('fake-code-editor'));
    expect(onRunQuery).not.toHaveBeenCalled();
    act(() => fake.current!.type('BEGIN { @z = 1; }'));
    fireEvent.blur(screen.getByTestId('fake-code-editor'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', version: QUERY_MODEL_VERSION, code: 'BEGIN { @z = 1; }' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 2));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('keeps the other fields of the latest query when it runs', async () => {
    const { onChange, rerender } = setup(query);
    await settle();
    act(() => fake.current!.type('BEGIN { @n = 2; }'));
    rerender({ ...query, format: 'table' });
    act(() => runAction().run());
    expect(onChange).toHaveBeenCalledWith({
      refId: 'A',
      version: QUERY_MODEL_VERSION,
      code: 'BEGIN { @n = 2; }',
      format: 'table',
    });
  });

  it('refuses an explicit run of a script with an error, says so, and keeps the markers', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    act(() => fake.current!.type(refusedByPmda));
    act(() => runAction().run());
    fireEvent.click(screen.getByTestId('bpflive-run'));
    fireEvent.blur(screen.getByTestId('fake-code-editor'));
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(version()).toHaveTextContent('Not run: fix the 1 error marked in the editor');
    expect(fake.current!.markers.get('bpflive')!.map((m) => m.code)).toEqual(['pmda-keyed-hist']);

    // Fixed: the message goes, and the next run goes through.
    act(() => fake.current!.type(edited));
    act(() => jest.advanceTimersByTime(DRAFT_DELAY_MS));
    expect(version()).not.toHaveTextContent('Not run');
    act(() => runAction().run());
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', version: QUERY_MODEL_VERSION, code: edited });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('refuses to run even unchanged code that has an error (a saved dashboard)', async () => {
    const { onRunQuery } = setup({ refId: 'A', code: refusedByPmda });
    await settle();
    act(() => runAction().run());
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(version()).toHaveTextContent('Not run: fix the 1 error marked in the editor');
  });

  it('with live run on, runs once when typing stops, never per keystroke', async () => {
    const live = { ...query, liveRun: true };
    const { onChange, onRunQuery } = setup(live);
    await settle();
    act(() => fake.current!.type('BEGIN { @a = 1; @b = 2'));
    act(() => jest.advanceTimersByTime(500));
    act(() => fake.current!.type(edited));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS - 1));
    expect(onRunQuery).not.toHaveBeenCalled();
    act(() => jest.advanceTimersByTime(1));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({ ...live, version: QUERY_MODEL_VERSION, code: edited });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('with live run on, does not run a script with an error, and says why', async () => {
    const { onChange, onRunQuery } = setup({ ...query, liveRun: true });
    await settle();
    act(() => fake.current!.type(refusedByPmda));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 3));
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(version()).toHaveTextContent('Not run: fix the 1 error marked in the editor');
    expect(fake.current!.markers.get('bpflive')!.map((m) => m.code)).toEqual(['pmda-keyed-hist']);
  });

  it('the Live run switch changes only the option, not the code', async () => {
    const { onChange, onRunQuery, rerender } = setup(query);
    await settle();
    act(() => fake.current!.type(edited));
    fireEvent.click(document.getElementById('bpflive-A-live-run')!);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({ ...query, version: QUERY_MODEL_VERSION, liveRun: true });
    expect(onRunQuery).not.toHaveBeenCalled();
    // Grafana hands the query back with the option on: the waiting edit runs as typing stopped.
    rerender({ ...query, liveRun: true });
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS));
    expect(onChange).toHaveBeenLastCalledWith({ ...query, version: QUERY_MODEL_VERSION, liveRun: true, code: edited });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('turning live run off cancels a run already scheduled', async () => {
    const live = { ...query, liveRun: true };
    const { onChange, onRunQuery, rerender } = setup(live);
    await settle();
    act(() => fake.current!.type(edited));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS / 2));
    fireEvent.click(document.getElementById('bpflive-A-live-run')!);
    expect(onChange).toHaveBeenCalledWith({ ...query, version: QUERY_MODEL_VERSION, liveRun: undefined });
    rerender({ ...query, liveRun: undefined });
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 2));
    expect(onRunQuery).not.toHaveBeenCalled();
  });
});

describe('QueryEditor: the language in Monaco', () => {
  it('registers the language once, providers per editor, and disposes them on unmount', async () => {
    const { view } = setup({ refId: 'A', code: '' });
    await settle();
    const f = fake.current!;
    expect(f.monaco.languages.register).toHaveBeenCalledWith(expect.objectContaining({ id: 'bpftrace' }));
    expect(f.monaco.languages.registerCompletionItemProvider).toHaveBeenCalledWith('bpftrace', expect.anything());
    expect(f.monaco.languages.registerHoverProvider).toHaveBeenCalledTimes(1);
    expect(f.monaco.languages.registerSignatureHelpProvider).toHaveBeenCalledTimes(1);
    expect(f.monaco.languages.registerCodeActionProvider).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('fake-code-editor').dataset.language).toBe('bpftrace');
    expect(f.disposables.length).toBeGreaterThanOrEqual(5);
    view.unmount();
    expect(f.disposables.every((d) => d.dispose.mock.calls.length === 1)).toBe(true);
    expect(f.markers.get('bpflive')).toEqual([]);
  });

  it('fetches the probe list once per datasource and marks probes the host does not have', async () => {
    const datasource = makeDatasource();
    const first = setup({ refId: 'A', code: 'kprobe:vfs_read { @r = count(); }' }, undefined, datasource);
    await settle();
    const markers = fake.current!.markers.get('bpflive')!;
    expect(markers.map((m) => [m.code, m.severity, m.startLineNumber, m.startColumn, m.endColumn])).toEqual([
      ['probe-type-not-on-host', 4, 1, 1, 16],
    ]);
    expect(markers[0].message).toMatch(/tracepoint:syscalls:sys_enter_read/);
    first.view.unmount();
    setup({ refId: 'B', code: '' }, undefined, datasource);
    await settle();
    expect(datasource.fetchProbeList).toHaveBeenCalledTimes(1);
  });

  it("uses the probe list of the query's own host", async () => {
    const datasource = makeDatasource();
    datasource.fetchProbeList.mockImplementation(async (hostspec?: string) =>
      hostspec === 'pcp://kprobes-host' ? 'kprobe:vfs_read,tracepoint:sched:sched_switch' : HOST_PROBES
    );
    setup(
      { refId: 'A', code: 'kprobe:vfs_read { @r = count(); }', hostspec: 'pcp://kprobes-host' },
      undefined,
      datasource
    );
    await settle();
    expect(datasource.fetchProbeList).toHaveBeenCalledWith('pcp://kprobes-host');
    expect(fake.current!.markers.get('bpflive')).toEqual([]);
  });

  it('offers the one-click fix of a marker as a quick fix that rewrites the script', async () => {
    const code = 'tracepoint:syscalls:sys_enter_read { printf("%d\\n", args.fd); }';
    setup({ refId: 'A', code });
    await settle();
    const f = fake.current!;
    const markers = f.markers.get('bpflive')!;
    expect(markers.map((m) => m.code)).toEqual(['args-dot']);
    const provider = f.monaco.languages.registerCodeActionProvider.mock.calls[0][1];
    const model = {
      id: f.editor.getModel().id,
      uri: 'inmemory://model/1',
      getValue: () => f.value,
      getVersionId: () => 1,
      getFullModelRange: () => 'whole text',
    };
    const { actions } = provider.provideCodeActions(model, null, { markers });
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: 'quickfix', title: expect.stringMatching(/args->field/) });
    expect(actions[0].edit.edits[0].textEdit).toEqual({
      range: 'whole text',
      text: 'tracepoint:syscalls:sys_enter_read { printf("%d\\n", args->fd); }',
    });
    // Another editor's model gets nothing from this one's provider.
    expect(provider.provideCodeActions({ ...model, id: 'other' }, null, { markers }).actions).toEqual([]);
  });

  it('lints the text as it is typed, before anything runs', async () => {
    const { onRunQuery } = setup({ refId: 'A', code: '' });
    await settle();
    act(() => fake.current!.type('tracepont:sched:sched_switch { @n = count(); }'));
    act(() => jest.advanceTimersByTime(DRAFT_DELAY_MS));
    expect(fake.current!.markers.get('bpflive')!.map((m) => m.code)).toEqual(['unknown-probe-type']);
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(screen.getByTestId('bpflive-problems')).toHaveTextContent('"tracepont" is not a bpftrace probe type');
  });

  it("marks bpftrace's syntax error at its place and clears it when the error is gone", async () => {
    const query = { refId: 'A', code: 'tracepoint:raw_syscalls:sys_enter {\n  @a = count(;\n}' };
    const error = 'stdin:2:8-15: ERROR: syntax error, unexpected ;\n  @a = count(;\n       ~~~~~~~';
    const { rerender } = setup(query, panelData(query, { status: 'error', variables: [], warnings: [] }, [error]));
    await settle();
    const marker = fake.current!.markers.get('bpflive')!.find((m) => m.source === 'bpftrace');
    expect(marker).toMatchObject({ startLineNumber: 2, startColumn: 8, endLineNumber: 2, endColumn: 15, severity: 8 });
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('bpftrace, line 2: syntax error, unexpected ;');
    rerender(query, panelData(query, { status: 'registering', variables: [], warnings: [] }));
    expect(fake.current!.markers.get('bpflive')!.filter((m) => m.source === 'bpftrace')).toEqual([]);
  });

  it('places the errors that arrived before Monaco finished loading', async () => {
    const query = { refId: 'A', code: 'tracepoint:raw_syscalls:sys_enter {\n  @a = count(;\n}' };
    const error = 'stdin:2:8-15: ERROR: syntax error, unexpected ;';
    fake.deferMount = true;
    try {
      setup(query, panelData(query, { status: 'error', variables: [], warnings: [] }, [error]));
      await settle();
      act(() => fake.mount!());
      const marker = fake.current!.markers.get('bpflive')!.find((m) => m.source === 'bpftrace');
      expect(marker).toMatchObject({ startLineNumber: 2, startColumn: 8, endColumn: 15 });
    } finally {
      fake.deferMount = false;
    }
  });

  it('says when the probe list could not be fetched', async () => {
    const datasource = makeDatasource();
    datasource.fetchProbeList.mockRejectedValue(new Error('pmproxy is down'));
    setup({ refId: 'A', code: 'kprobe:vfs_read { @r = count(); }' }, undefined, datasource);
    await settle();
    expect(screen.getByTestId('bpflive-problems')).toHaveTextContent(
      "The host's probe list could not be fetched (pmproxy is down)"
    );
    expect(fake.current!.markers.get('bpflive')).toEqual([]);
  });

  it("explains an error in the PMDA's print block instead of marking it", async () => {
    const query = { refId: 'A', code: 'tracepoint:a:b {\n  @a = count();\n' };
    const error =
      'stdin:4:1-11: ERROR: syntax error, unexpected path, expecting }\ninterval:s:1 { print(@a); }\n~~~~~~~~~~';
    setup(query, panelData(query, { status: 'error', variables: ['@a'], warnings: [] }, [error]));
    await settle();
    expect(fake.current!.markers.get('bpflive')!.filter((m) => m.source === 'bpftrace')).toEqual([]);
    expect(screen.getByTestId('bpflive-problems')).toHaveTextContent(/past your script's last line \(2\)/);
  });
});

describe('QueryEditor: status and options', () => {
  it('shows the script running with its probe count and warnings', async () => {
    const query = { refId: 'A', code: 'tracepoint:a:b { @n = count(); }' };
    setup(
      query,
      panelData(query, { status: 'started', probes: 3, variables: ['@n'], warnings: ['could not attach probe x'] })
    );
    await settle();
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Running · 3 probes');
    expect(screen.getByTestId('bpflive-warnings')).toHaveTextContent('Warning');
  });

  it('says which version runs: the code run and when, or edits that do not run', async () => {
    jest.setSystemTime(new Date(2025, 0, 2, 10, 42, 13));
    const query = { refId: 'A', code: 'BEGIN { @a = 1; }' };
    const started = { status: 'started', probes: 1, variables: ['@a'], warnings: [] };
    const { onChange, rerender } = setup(query);
    await settle();
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Not run yet — Shift+Enter or Run to run it');
    rerender(query, panelData(query, started));
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Running · 1 probeRunning the saved code');

    act(() => fake.current!.type('BEGIN { @a = 2; }'));
    act(() => jest.advanceTimersByTime(DRAFT_DELAY_MS));
    expect(screen.getByTestId('bpflive-version')).toHaveTextContent(
      'Edited since it ran — Shift+Enter or Run to run these changes'
    );
    // What runs is still the old code: the engine's state stays beside it.
    expect(screen.getByTestId('bpflive-engine')).toHaveTextContent('Running · 1 probe');

    act(() => fake.current!.actions.find((a) => a.id === 'bpflive.run')!.run());
    const ran = onChange.mock.calls[0][0];
    rerender(ran, panelData(ran, started));
    expect(screen.getByTestId('bpflive-version')).toHaveTextContent('Running the code you ran at 10:42:13');
  });

  it('reads only its own query in the panel data', async () => {
    const query = { refId: 'B', code: 'BEGIN { @a = 1; }' };
    const other = panelData({ refId: 'A', code: 'x' }, { status: 'error', variables: [], warnings: [] }, ['boom']);
    setup(query, { ...other, request: { targets: [{ refId: 'A' }, query] } as unknown as PanelData['request'] });
    await settle();
    expect(screen.queryByTestId('bpflive-engine')).toBeNull();
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Not run yet');
  });

  it('offers the maps the PMDA will export before the script runs, and infers the unit', async () => {
    setup({ refId: 'A', code: 'tracepoint:a:b { @lat_us = hist(1); @calls = count(); }' });
    await settle();
    expect(screen.getByTestId('bpflive-inferred-unit')).toHaveTextContent('auto: µs');
  });

  it('shows the dashboard variables the script runs with, and their values', async () => {
    setTemplateSrv(templateSrvWith({ pid: ['1', '2'], comm: ['bash'] }));
    setup({ refId: 'A', code: 'tracepoint:a:b\n/pid == $pid/ { printf("$comm $x\\n"); }' });
    await settle();
    const line = screen.getByTestId('bpflive-variables');
    expect(line).toHaveTextContent('$pid = 1, 2 (one comparison per value, line 2)');
    expect(line).toHaveTextContent('$comm = bash (in a string, line 2)');
    // $x is no dashboard variable: not listed, not touched.
    expect(line).not.toHaveTextContent('$x');
  });

  it('says under the editor which variable cannot be written into the script', async () => {
    setTemplateSrv(templateSrvWith({ pid: ['1) || (1'] }));
    setup({ refId: 'A', code: 'tracepoint:a:b /pid == $pid/ { @ = count(); }' });
    await settle();
    expect(screen.getByTestId('bpflive-variables')).toHaveTextContent(/\$pid .*number or an identifier/);
  });

  it('shows nothing about variables for a script without any', async () => {
    setTemplateSrv(templateSrvWith({ pid: ['1'] }));
    setup({ refId: 'A', code: 'tracepoint:a:b { $pidx = 1; @ = count(); }' });
    await settle();
    expect(screen.queryByTestId('bpflive-variables')).toBeNull();
  });

  it('puts an example into the editor on click, and runs it (with its format) only when asked', async () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', code: '' });
    await settle();
    fireEvent.click(screen.getByTestId('bpflive-examples'));
    fireEvent.click(screen.getByTestId('bpflive-example-cpu-flamegraph'));
    expect(fake.current!.value).toBe('profile:hz:99\n{\n  @stacks[kstack] = count();\n}');
    expect(screen.queryByTestId('bpflive-cheat-sheet')).toBeNull();
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('bpflive-run'));
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ code: fake.current!.value, format: 'flamegraph' })
    );
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });
});

/** A template service with these variables (name → values), as Grafana's hands them over. */
function templateSrvWith(table: Record<string, string[]>): TemplateSrv {
  return {
    getVariables: () => Object.keys(table).map((name) => ({ name, type: 'custom' })),
    replace: (target: string, _scoped?: unknown, format?: (value: unknown) => string) =>
      target.replace(/\$\{(\w+)\}/g, (m: string, name: string) =>
        name in table
          ? format
            ? format(table[name].length === 1 ? table[name][0] : table[name])
            : table[name].join(',')
          : m
      ),
  } as unknown as TemplateSrv;
}

describe('QueryEditor: recordings', () => {
  const recorded: BpftraceQuery = { refId: 'A', code: 'BEGIN { @a = count(); }', record: true, recordName: 'runq' };
  const withRole = (mayRecord: boolean) => {
    return Object.assign(makeDatasource(), { mayRecord, stopRecording: jest.fn(async () => undefined) });
  };

  it('an Editor stops a recording only after confirming: Record goes off, then the name is deregistered', async () => {
    const ds = withRole(true);
    const { onChange } = setup(recorded, undefined, ds);
    await settle();
    fireEvent.click(screen.getByText('Stop recording'));
    expect(ds.stopRecording).not.toHaveBeenCalled();
    const confirm = screen.getByText('Yes, stop recording');
    await act(async () => {
      fireEvent.click(confirm);
    });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ record: undefined }));
    expect(ds.stopRecording).toHaveBeenCalledWith('bpflive_rec_runq', undefined);
  });

  it('a Viewer gets no Stop recording button', async () => {
    setup(recorded, undefined, withRole(false));
    await settle();
    expect(screen.queryByText('Stop recording')).toBeNull();
  });

  it('a recording name the PMDA could not take is marked in the options', async () => {
    setup({ ...recorded, recordName: 'bad-name' }, undefined, withRole(true));
    await settle();
    expect(screen.getByText(/may hold only letters, digits and _/)).toBeTruthy();
    expect(screen.queryByText('Stop recording')).toBeNull();
  });
});
