import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { createDataFrame, getDefaultTimeRange, LoadingState, PanelData } from '@grafana/data';
import { DataSource } from '../datasource';
import { BpftraceQuery, QUERY_TYPE_METRIC } from '../types';
import { QueryEditor } from './QueryEditor';

jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  CodeEditor: jest.requireActual('../test/fakeCodeEditor').FakeCodeEditor,
}));

// Grafana's Combobox (the script editor's options) measures text on a canvas jsdom does not have.
beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => ({
    measureText: (text: string) => ({ width: text.length * 7 }),
  })) as unknown as typeof HTMLCanvasElement.prototype.getContext;
});

// Levels of the CI stack's namespace as /pmapi/children answered them (shortened).
const LEVELS: Record<string, { leaf: string[]; nonleaf: string[] }> = {
  '': { leaf: [], nonleaf: ['kernel', 'disk'] },
  kernel: { leaf: [], nonleaf: ['all'] },
  'kernel.all': { leaf: ['load', 'sysfork'], nonleaf: ['cpu'] },
};

function makeDatasource() {
  return {
    fetchProbeList: jest.fn().mockResolvedValue(''),
    interpolate: DataSource.prototype.interpolate,
    metricChildren: jest.fn(async (prefix: string) => {
      if (!LEVELS[prefix]) {
        throw new Error('child traversal failed - Unknown metric name');
      }
      return LEVELS[prefix];
    }),
    settings: { hostspec: 'localhost' },
  } as unknown as DataSource & { metricChildren: jest.Mock };
}

function setup(query: BpftraceQuery, data?: PanelData) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const datasource = makeDatasource();
  render(<QueryEditor query={query} onChange={onChange} onRunQuery={onRunQuery} datasource={datasource} data={data} />);
  return { onChange, onRunQuery, datasource };
}

const settle = () => act(async () => {});
const completions = () =>
  [...screen.getByTestId('bpflive-metric-completions').querySelectorAll('option')].map((o) => o.value);

describe('MetricQueryEditor', () => {
  const metricQuery: BpftraceQuery = { refId: 'A', code: '', queryType: QUERY_TYPE_METRIC };

  it('the selector switches a script query to a PCP metric query, keeping its code', async () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', code: 'BEGIN { @a = 1; }' });
    await settle();
    fireEvent.click(screen.getByLabelText('PCP metric'));
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ queryType: 'metric', code: 'BEGIN { @a = 1; }' })
    );
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it("completes from the host's namespace, one level at a time, after earlier names", async () => {
    const { datasource } = setup(metricQuery);
    await settle();
    expect(completions()).toEqual(['disk.', 'kernel.']);
    fireEvent.change(screen.getByTestId('bpflive-metrics'), { target: { value: 'disk.dev.*, kernel.all.lo' } });
    await settle();
    expect(completions()).toEqual([
      'disk.dev.*, kernel.all.cpu.',
      'disk.dev.*, kernel.all.load',
      'disk.dev.*, kernel.all.sysfork',
    ]);
    expect(datasource.metricChildren).toHaveBeenLastCalledWith('kernel.all', undefined);
  });

  it('offers nothing under a level the host does not have', async () => {
    setup({ ...metricQuery, metrics: 'nosuch.x' });
    await settle();
    expect(completions()).toEqual([]);
  });

  it('runs the metrics when the field is left (a read: nothing runs on the host)', async () => {
    const { onChange, onRunQuery } = setup(metricQuery);
    await settle();
    const input = screen.getByTestId('bpflive-metrics');
    fireEvent.change(input, { target: { value: 'kernel.all.load' } });
    fireEvent.blur(input);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ metrics: 'kernel.all.load' }));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('says what PCP says of each metric: its semantics, its units, a counter drawn as a rate', async () => {
    const pcp = {
      phase: 'ready',
      metrics: [
        { name: 'kernel.all.sysfork', sem: 'counter', units: 'count' },
        { name: 'kernel.all.load', sem: 'instant', units: 'none' },
      ],
    };
    const data: PanelData = {
      state: LoadingState.Streaming,
      series: [createDataFrame({ refId: 'A', fields: [], meta: { custom: { pcp } } })],
      timeRange: getDefaultTimeRange(),
    };
    setup({ ...metricQuery, metrics: 'kernel.all.sysfork kernel.all.load' }, data);
    await settle();
    expect(screen.getByTestId('bpflive-metric-descriptors').textContent).toBe(
      'kernel.all.sysfork: counter, count → per-second ratekernel.all.load: instant'
    );
  });
});

describe('MetricQueryEditor: source and outliers', () => {
  const metricQuery: BpftraceQuery = { refId: 'A', code: '', queryType: QUERY_TYPE_METRIC, metrics: 'kernel.all.load' };

  it('offers the series store beside live polling (live by default) and runs the query on a switch', async () => {
    const { onChange, onRunQuery } = setup(metricQuery);
    await settle();
    expect(screen.getByRole('radio', { name: 'Live (poll each host)' })).toBeChecked();
    expect(screen.queryByText('Outliers')).toBeNull();
    fireEvent.click(screen.getByRole('radio', { name: 'Series store (one query for all hosts)' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ ...metricQuery, metricSource: 'series' }));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('with the series store: the outlier view, its table and its k', async () => {
    const { onChange } = setup({ ...metricQuery, metricSource: 'series', outliers: true });
    await settle();
    fireEvent.click(screen.getByRole('radio', { name: 'Table' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ format: 'table', outliers: true }));
    const k = screen.getByTestId('bpflive-outlier-k');
    fireEvent.change(k, { target: { value: '3' } });
    fireEvent.blur(k);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ outlierK: 3 }));
    fireEvent.change(k, { target: { value: '-1' } });
    fireEvent.blur(k);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ outlierK: undefined }));
  });
});
