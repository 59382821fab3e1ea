import React from 'react';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { LoadingState, toDataFrame } from '@grafana/data';
import type { DataSource } from '../datasource';
import { runningScriptsFrame } from '../query/runningScripts';
import { RunningScriptsEditor } from './RunningScriptsEditor';

const frame = runningScriptsFrame('A', [
  {
    id: '7',
    name: '7',
    origin: 'other tool',
    user: 'alice',
    state: 'started',
    pid: 4711,
    cpu: 0.031,
    overBudget: false,
    code: 'kprobe:vfs_read { @r = count(); }',
  },
]);

function show(mayStopScripts: boolean, rows = frame) {
  onChange.mockClear();
  const datasource = {
    mayStopScripts,
    stopScript: jest.fn(async () => undefined),
    settings: { hostspec: 'localhost' },
  };
  render(
    <RunningScriptsEditor
      query={{ refId: 'A', code: '', queryType: 'runningScripts' }}
      onChange={onChange}
      onRunQuery={jest.fn()}
      datasource={datasource as unknown as DataSource}
      data={{ state: LoadingState.Streaming, series: [toDataFrame(rows)], timeRange: {} as never }}
    />
  );
  return datasource;
}

const onChange = jest.fn();

describe('RunningScriptsEditor', () => {
  it("lists the host's scripts with their origin and CPU, and lets an Editor stop one after confirming", async () => {
    const ds = show(true);
    const row = screen.getByTestId('bpflive-running-script');
    expect(row.textContent).toContain('other tool');
    expect(row.textContent).toContain('3.1 %');
    fireEvent.click(screen.getByText('Stop'));
    expect(ds.stopScript).not.toHaveBeenCalled();
    fireEvent.click(screen.getByText('Stop it'));
    await waitFor(() => expect(ds.stopScript).toHaveBeenCalledWith('7', undefined));
    expect(await screen.findByText('Stopped 7.')).toBeTruthy();
  });

  it('offers a Viewer no Stop, and says who can', () => {
    show(false);
    expect(screen.queryByText('Stop')).toBeNull();
    expect(screen.getByText(/Only Editors and Admins can stop scripts/)).toBeTruthy();
  });

  it("offers to show an autostart script in this panel by its name, and not another tool's unnamed one", () => {
    const named = runningScriptsFrame('A', [
      {
        id: '3',
        name: 'runqlat',
        origin: 'PMDA autostart',
        user: 'root',
        state: 'started',
        overBudget: false,
        code: '',
      },
    ]);
    show(false, named);
    fireEvent.click(screen.getByText('Show here'));
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ queryType: undefined, scriptName: 'runqlat' }));
    cleanup();
    show(false);
    expect(screen.queryByText('Show here')).toBeNull();
  });
});
