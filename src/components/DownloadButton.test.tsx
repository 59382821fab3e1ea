import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { DataFrame, FieldType, LoadingState, PanelData, getDefaultTimeRange } from '@grafana/data';

import { DownloadButton } from './DownloadButton';

const flame: DataFrame = {
  refId: 'A',
  fields: [
    { name: 'label', type: FieldType.string, config: {}, values: ['all', 'main', 'f'] },
    { name: 'level', type: FieldType.number, config: {}, values: [0, 1, 2] },
    { name: 'value', type: FieldType.number, config: {}, values: [3, 3, 3] },
    { name: 'self', type: FieldType.number, config: {}, values: [0, 0, 3] },
  ],
  length: 3,
  meta: { preferredVisualisationType: 'flamegraph', custom: { view: 'flamegraph' } },
};

const panel = (series: DataFrame[]): PanelData => ({
  series,
  state: LoadingState.Streaming,
  timeRange: getDefaultTimeRange(),
});

describe('DownloadButton', () => {
  afterEach(() => jest.restoreAllMocks());

  it('saves the flame graph the panel shows as a .folded file', async () => {
    const blobs: Blob[] = [];
    URL.createObjectURL = jest.fn((b: Blob) => (blobs.push(b), 'blob:x'));
    URL.revokeObjectURL = jest.fn();
    const clicked: string[] = [];
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    render(<DownloadButton data={panel([flame])} refId="A" />);
    fireEvent.click(screen.getByText('Download folded stacks'));
    expect(clicked).toEqual([expect.stringMatching(/^bpflive-A-.*\.folded$/)]);
    // (jsdom's Blob has no text(): read it as the browser's FileReader would.)
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blobs[0]);
    });
    expect(text).toBe('main;f 3\n');
    expect(blobs[0].type).toBe('text/plain;charset=utf-8');
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:x');
  });

  it('shows nothing where there is nothing to export (no data yet, a time series)', () => {
    const { container } = render(<DownloadButton data={undefined} refId="A" />);
    expect(container).toBeEmptyDOMElement();
    render(<DownloadButton data={panel([{ ...flame, meta: { custom: { view: 'timeseries' } } }])} refId="A" />);
    expect(screen.queryByTestId('bpflive-download')).toBeNull();
  });
});
