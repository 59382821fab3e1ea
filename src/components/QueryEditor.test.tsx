import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { createDataFrame, LoadingState, PanelData, getDefaultTimeRange } from '@grafana/data';
import { DataSource } from '../datasource';
import { BpftraceQuery } from '../types';
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
});

describe('QueryEditor: running', () => {
  const query: BpftraceQuery = { refId: 'A', code: 'BEGIN { @a = 1; }' };

  it('runs once, about a second after typing stops, never per keystroke', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    act(() => fake.current!.type('BEGIN { @a = 1; @b'));
    act(() => jest.advanceTimersByTime(500));
    act(() => fake.current!.type('BEGIN { @a = 1; @b = 2; }'));
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS - 1));
    expect(onRunQuery).not.toHaveBeenCalled();
    act(() => jest.advanceTimersByTime(1));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', code: 'BEGIN { @a = 1; @b = 2; }' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('runs on blur when the text changed, and not when it did not', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    fireEvent.blur(screen.getByTestId('fake-code-editor'));
    expect(onRunQuery).not.toHaveBeenCalled();
    act(() => fake.current!.type('BEGIN { @z = 1; }'));
    fireEvent.blur(screen.getByTestId('fake-code-editor'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', code: 'BEGIN { @z = 1; }' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS * 2));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('runs on Shift+Enter, even unchanged', async () => {
    const { onChange, onRunQuery } = setup(query);
    await settle();
    const action = fake.current!.actions.find((a) => a.id === 'bpflive.run')!;
    expect(action.keybindings).toEqual([1024 | 3]);
    act(() => action.run());
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('keeps the other fields of the latest query when it commits', async () => {
    const { onChange, rerender } = setup(query);
    await settle();
    act(() => fake.current!.type('BEGIN { @n = 2; }'));
    rerender({ ...query, format: 'table' });
    act(() => jest.advanceTimersByTime(RUN_DELAY_MS));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', code: 'BEGIN { @n = 2; }', format: 'table' });
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

  it('says when the text is edited and not yet running', async () => {
    setup({ refId: 'A', code: 'BEGIN { @a = 1; }' });
    await settle();
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Not running');
    act(() => fake.current!.type('BEGIN { @a = 2; }'));
    act(() => jest.advanceTimersByTime(DRAFT_DELAY_MS));
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Edited');
  });

  it('reads only its own query in the panel data', async () => {
    const query = { refId: 'B', code: 'BEGIN { @a = 1; }' };
    const other = panelData({ refId: 'A', code: 'x' }, { status: 'error', variables: [], warnings: [] }, ['boom']);
    setup(query, { ...other, request: { targets: [{ refId: 'A' }, query] } as unknown as PanelData['request'] });
    await settle();
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Not running');
  });

  it('offers the maps the PMDA will export before the script runs, and infers the unit', async () => {
    setup({ refId: 'A', code: 'tracepoint:a:b { @lat_us = hist(1); @calls = count(); }' });
    await settle();
    expect(screen.getByTestId('bpflive-inferred-unit')).toHaveTextContent('auto: µs');
  });
});
