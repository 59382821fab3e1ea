import { createDataFrame, getDefaultTimeRange, LoadingState, PanelData } from '@grafana/data';
import { queryRunOf } from './panelData';

const data = (extra: Partial<PanelData>): PanelData => ({
  state: LoadingState.Streaming,
  series: [],
  timeRange: getDefaultTimeRange(),
  ...extra,
});

describe('queryRunOf', () => {
  it('finds the script state of its own query among the frames', () => {
    const run = queryRunOf(
      data({
        series: [
          createDataFrame({ refId: 'A', fields: [], meta: { custom: { bpflive: { status: 'error' } } } }),
          createDataFrame({ refId: 'B', fields: [] }),
          createDataFrame({ refId: 'B', fields: [], meta: { custom: { bpflive: { status: 'started', probes: 2 } } } }),
        ],
        errors: [
          { refId: 'A', message: 'a failed' },
          { refId: 'B', message: 'b failed' },
        ],
        request: {
          targets: [
            { refId: 'A', code: 'a' },
            { refId: 'B', code: 'b' },
          ],
        } as unknown as PanelData['request'],
      }),
      'B'
    );
    expect(run).toEqual({ state: { status: 'started', probes: 2 }, errors: ['b failed'], code: 'b' });
  });

  it('takes an error without refId when it is the only one', () => {
    expect(queryRunOf(data({ errors: [{ message: 'all failed' }] }), 'A').errors).toEqual(['all failed']);
    expect(queryRunOf(data({ errors: [{ message: 'x' }, { message: 'y' }] }), 'A').errors).toEqual([]);
  });

  it('has nothing before the first run', () => {
    expect(queryRunOf(undefined, 'A')).toEqual({ errors: [] });
  });
});
