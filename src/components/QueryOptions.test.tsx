import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { BpftraceQuery } from '../types';
import { QueryOptions } from './QueryOptions';

function setup(query: BpftraceQuery, variables: string[] = ['@lat', '@calls']) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const view = render(
    <QueryOptions
      query={query}
      onChange={onChange}
      onRunQuery={onRunQuery}
      variables={variables}
      inferredUnit="ns"
      defaultHostspec="localhost"
    />
  );
  return { onChange, onRunQuery, view };
}

// Grafana's Combobox measures its text on a canvas; the scaffold's jsdom stub returns no context.
beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => ({
    measureText: (text: string) => ({ width: text.length * 7 }),
  })) as unknown as typeof HTMLCanvasElement.prototype.getContext;
});

const base: BpftraceQuery = { refId: 'A', code: 'BEGIN { @a = 1; }' };

describe('QueryOptions', () => {
  it('calls the map option "Map" (not "Variable", which is Grafana\'s dashboard variables) and shows a saved one', () => {
    setup({ ...base, map: '@lat' });
    expect(screen.getByText('Map')).toBeInTheDocument();
    expect(screen.queryByText('Variable')).toBeNull();
    expect(document.getElementById('bpflive-A-map')).toHaveValue('@lat');
  });

  it('shows the fields that apply: legend for time series, top N for tables, flame-graph options', () => {
    const { view } = setup(base);
    expect(document.getElementById('bpflive-A-legend')).not.toBeNull();
    expect(document.getElementById('bpflive-A-topn')).toBeNull();
    expect(document.getElementById('bpflive-A-fg-idle')).toBeNull();
    view.rerender(
      <QueryOptions query={{ ...base, format: 'table' }} onChange={jest.fn()} onRunQuery={jest.fn()} variables={[]} />
    );
    expect(document.getElementById('bpflive-A-legend')).toBeNull();
    expect(document.getElementById('bpflive-A-topn')).not.toBeNull();
    view.rerender(
      <QueryOptions
        query={{ ...base, format: 'flamegraph' }}
        onChange={jest.fn()}
        onRunQuery={jest.fn()}
        variables={[]}
      />
    );
    for (const id of ['fg-roots', 'fg-idle', 'fg-unresolved', 'fg-min']) {
      expect(document.getElementById(`bpflive-A-${id}`)).not.toBeNull();
    }
    expect(document.getElementById('bpflive-A-hostspec')).not.toBeNull();
  });

  it('changes and runs the query when a switch flips', () => {
    const { onChange, onRunQuery } = setup(base);
    fireEvent.click(document.getElementById('bpflive-A-rate')!);
    expect(onChange).toHaveBeenCalledWith({ ...base, rate: false });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('keeps flame-graph options together', () => {
    const query: BpftraceQuery = { ...base, format: 'flamegraph', flameGraph: { hideIdle: true } };
    const { onChange } = setup(query);
    fireEvent.click(document.getElementById('bpflive-A-fg-unresolved')!);
    expect(onChange).toHaveBeenCalledWith({ ...query, flameGraph: { hideIdle: true, hideUnresolved: true } });
  });

  it('compares a flame graph with the previous window, or with a fixed baseline given as Grafana times', () => {
    const query: BpftraceQuery = { ...base, format: 'flamegraph', flameGraph: { hideIdle: true } };
    const { onChange, onRunQuery, view } = setup(query);
    expect(document.getElementById('bpflive-A-fg-base-from')).toBeNull();
    fireEvent.click(screen.getByText('Previous window'));
    expect(onChange).toHaveBeenLastCalledWith({ ...query, flameGraph: { hideIdle: true, compare: 'previous' } });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    const fixed: BpftraceQuery = { ...query, flameGraph: { hideIdle: true, compare: 'fixed' } };
    view.rerender(<QueryOptions query={fixed} onChange={onChange} onRunQuery={onRunQuery} variables={[]} />);
    const from = document.getElementById('bpflive-A-fg-base-from') as HTMLInputElement;
    fireEvent.change(from, { target: { value: ' now-2h ' } });
    fireEvent.blur(from);
    expect(onChange).toHaveBeenLastCalledWith({
      ...fixed,
      flameGraph: { ...fixed.flameGraph, baselineFrom: 'now-2h' },
    });
    expect(document.getElementById('bpflive-A-fg-base-to')).not.toBeNull();
  });

  it('commits text fields on blur or Enter, not per keystroke', () => {
    const { onChange, onRunQuery } = setup(base);
    const legend = document.getElementById('bpflive-A-legend') as HTMLInputElement;
    fireEvent.change(legend, { target: { value: '$k' } });
    fireEvent.change(legend, { target: { value: '$key' } });
    expect(onChange).not.toHaveBeenCalled();
    fireEvent.blur(legend);
    expect(onChange).toHaveBeenCalledWith({ ...base, legendFormat: '$key' });
    const host = document.getElementById('bpflive-A-hostspec') as HTMLInputElement;
    expect(host.placeholder).toBe('localhost');
    fireEvent.change(host, { target: { value: ' pcp://db1 ' } });
    fireEvent.keyDown(host, { key: 'Enter' });
    expect(onChange).toHaveBeenLastCalledWith({ ...base, hostspec: 'pcp://db1' });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('offers Output lines only for scripts that print, and runs the query with it', () => {
    const { view, onChange } = setup(base);
    expect(document.getElementById('bpflive-A-outputlines')).toBeNull();
    view.unmount();
    const printing = setup(base, ['@output']);
    const input = document.getElementById('bpflive-A-outputlines') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '500' } });
    fireEvent.blur(input);
    expect(printing.onChange).toHaveBeenCalledWith(expect.objectContaining({ outputLines: 500 }));
    expect(onChange).not.toHaveBeenCalled();
  });

  it('says where Output lines is above its bound, and not below it', () => {
    const over = setup({ ...base, outputLines: 50_000 }, ['@output']);
    expect(screen.getByText(/At most 10,000: the script keeps 10,000 lines/)).toBeInTheDocument();
    over.view.unmount();
    setup({ ...base, outputLines: 10_000 }, ['@output']);
    expect(screen.queryByText(/At most 10,000/)).toBeNull();
  });

  it('reads top N and min samples as positive whole numbers', () => {
    const { onChange } = setup({ ...base, format: 'table' });
    const topn = document.getElementById('bpflive-A-topn') as HTMLInputElement;
    fireEvent.change(topn, { target: { value: '12.7' } });
    fireEvent.blur(topn);
    expect(onChange).toHaveBeenLastCalledWith({ ...base, format: 'table', topN: 12 });
    fireEvent.change(topn, { target: { value: '-1' } });
    fireEvent.blur(topn);
    expect(onChange).toHaveBeenLastCalledWith({ ...base, format: 'table', topN: undefined });
  });

  it('shows the inferred unit while none is chosen', () => {
    const { view } = setup(base);
    expect(screen.getByTestId('bpflive-inferred-unit')).toHaveTextContent('auto: ns');
    view.rerender(
      <QueryOptions
        query={{ ...base, unit: 'ms' }}
        onChange={jest.fn()}
        onRunQuery={jest.fn()}
        variables={[]}
        inferredUnit="ns"
      />
    );
    expect(screen.queryByTestId('bpflive-inferred-unit')).toBeNull();
  });
});
