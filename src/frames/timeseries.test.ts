import { DataFrame, DataFrameType, FieldType, getFieldDisplayName } from '@grafana/data';

import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildTimeSeriesFrame, formatLegend, keyPartLabels } from './timeseries';
import { bufferWith, T0 } from '../test/fixtures';

describe('buildTimeSeriesFrame', () => {
  it('builds a wide time-series frame: Time first, one number field per key', () => {
    const b = bufferWith(true, [
      { bash: 1, sshd: 10 },
      { bash: 3, sshd: 20 },
    ]);
    const frame = buildTimeSeriesFrame(b, { refId: 'A', variable: '@bycomm', rate: true, unit: 'short' });
    expect(frame.refId).toBe('A');
    expect(frame.length).toBe(2);
    expect(frame.meta?.type).toBe(DataFrameType.TimeSeriesWide);
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['Time', FieldType.time],
      ['bash', FieldType.number],
      ['sshd', FieldType.number],
    ]);
    expect(frame.fields[0].values).toEqual([T0, T0 + 1000]);
    expect(frame.fields[1].values).toEqual([null, 2]);
    expect(frame.fields[2].values).toEqual([null, 10]);
    expect(frame.fields[1].config.unit).toBe('short');
    expect(frame.fields[0].config.unit).toBeUndefined();
  });

  it('references the buffer columns instead of copying them', () => {
    const b = bufferWith(true, [{ bash: 1 }, { bash: 3 }]);
    const rates = buildTimeSeriesFrame(b, { refId: 'A', variable: '@bycomm', rate: true });
    expect(rates.fields[0].values).toBe(b.times);
    expect(rates.fields[1].values).toBe(b.column('bash', 'rate'));
    const raw = buildTimeSeriesFrame(b, { refId: 'A', variable: '@bycomm', rate: false });
    expect(raw.fields[1].values).toBe(b.column('bash', 'raw'));
    expect(raw.fields[1].values).toEqual([1, 3]);
  });

  it('keeps an emitted frame consistent while the buffer goes on appending and evicting', () => {
    const b = new WideSeriesBuffer({ retentionMs: 10_000, counter: true });
    for (let i = 0; i < 12; i++) {
      b.append(T0 + i * 1000, new Map([['a', i * 2]]));
    }
    const frame = buildTimeSeriesFrame(b, { refId: 'A', variable: '@a', rate: true });
    const snapshot = frame.fields.map((f) => f.values.slice(0, frame.length));
    for (let i = 12; i < 40; i++) {
      b.append(T0 + i * 1000, new Map([['a', i * 2]]));
    }
    expect(frame.fields.map((f) => f.values.slice(0, frame.length))).toEqual(snapshot);
  });

  it('never changes a sent frame: its length, fields, names and rows stay, through new keys and migrations', () => {
    // Grafana keeps the frames it was given (the panel's last data, the legend's calcs).
    const b = new WideSeriesBuffer({ retentionMs: 20_000, counter: true });
    const options = { refId: 'A', variable: '@x', rate: true, legendFormat: '$key on $host', host: 'h' };
    const sent: Array<{ frame: ReturnType<typeof buildTimeSeriesFrame>; copy: string }> = [];
    for (let i = 0; i < 200; i++) {
      const values = new Map<string, number | null>([['a', i * 3]]);
      if (i > 50 && i < 120) {
        values.set(`k${Math.floor(i / 10)}`, i); // keys that come, then are dropped
      }
      b.append(T0 + i * 1000, values);
      const frame = buildTimeSeriesFrame(b, options);
      sent.push({ frame, copy: JSON.stringify(visible(frame)) });
    }
    for (const { frame, copy } of sent) {
      expect(JSON.stringify(visible(frame))).toBe(copy);
    }
  });

  it('makes names and labels once per key and reuses them while the keys stay the same', () => {
    const b = bufferWith(true, [{ 'bash,1': 1, 'sshd,2': 2 }]);
    const options = { refId: 'A', variable: '@x', rate: true, keyNames: ['comm', 'pid'] };
    const first = buildTimeSeriesFrame(b, options);
    b.append(
      T0 + 5000,
      new Map([
        ['bash,1', 3],
        ['sshd,2', 4],
      ])
    );
    const second = buildTimeSeriesFrame(b, options);
    expect(second.fields[1].labels).toBe(first.fields[1].labels);
    expect(second.fields[1]).not.toBe(first.fields[1]); // each frame its own fields (Grafana writes field.state)
    // The config is shared (Grafana reads it, applyFieldOverrides deep-clones it before writing).
    expect(second.fields[1].config).toBe(first.fields[1].config);
    // A new key gets its own; the others are kept.
    b.append(
      T0 + 6000,
      new Map([
        ['bash,1', 3],
        ['cron,3', 1],
      ])
    );
    const third = buildTimeSeriesFrame(b, options);
    expect(third.fields[1].labels).toBe(first.fields[1].labels);
    expect(third.fields[3].labels).toEqual({ comm: 'cron', pid: '3' });
    // Other options: made again.
    const renamed = buildTimeSeriesFrame(b, { ...options, legendFormat: '$comm' });
    expect(renamed.fields.map((f) => f.config.displayNameFromDS)).toEqual([undefined, 'bash', 'sshd', 'cron']);
    expect(buildTimeSeriesFrame(b, options).fields[1].config.displayNameFromDS).toBe('@x[bash, 1]');
    // Another unit: another config, not the shared one changed.
    const perSecond = buildTimeSeriesFrame(b, { ...options, unit: 'cps' });
    expect(perSecond.fields[1].config).toEqual({ displayNameFromDS: '@x[bash, 1]', unit: 'cps' });
    expect(first.fields[1].config.unit).toBeUndefined();
  });

  it('uses raw values for non-counters even when rate is asked for', () => {
    const b = bufferWith(false, [{ '': 5 }, { '': 3 }]);
    const frame = buildTimeSeriesFrame(b, { refId: 'A', variable: '@depth', rate: true });
    expect(frame.fields[1].values).toEqual([5, 3]);
  });

  it('returns just the Time field for an empty buffer', () => {
    const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
    const frame = buildTimeSeriesFrame(b, { refId: 'B', variable: '@x', rate: true });
    expect(frame.length).toBe(0);
    expect(frame.fields).toHaveLength(1);
    expect(frame.fields[0].type).toBe(FieldType.time);
  });

  describe('default names', () => {
    it('names a scalar after the variable', () => {
      const b = bufferWith(true, [{ '': 1 }]);
      const frame = buildTimeSeriesFrame(b, { refId: 'A', variable: '@syscalls', rate: true });
      const field = frame.fields[1];
      expect(field.name).toBe('@syscalls');
      expect(field.config.displayNameFromDS).toBe('@syscalls');
      expect(field.labels).toBeUndefined();
      expect(getFieldDisplayName(field, frame, [frame])).toBe('@syscalls');
    });

    it('names a keyed map @var[key]', () => {
      const b = bufferWith(true, [{ bash: 1 }]);
      const frame = buildTimeSeriesFrame(b, { refId: 'A', variable: '@bycomm', rate: true });
      const field = frame.fields[1];
      expect(field.name).toBe('bash');
      expect(field.config.displayNameFromDS).toBe('@bycomm[bash]');
      expect(field.labels).toBeUndefined();
      expect(getFieldDisplayName(field, frame, [frame])).toBe('@bycomm[bash]');
    });

    it('names a multi-key map like bpftrace prints it and keeps the parts as labels', () => {
      const b = bufferWith(true, [{ 'bash,123': 1 }]);
      const field = buildTimeSeriesFrame(b, { refId: 'A', variable: '@x', rate: true, labels: { hostname: 'h1' } })
        .fields[1];
      expect(field.name).toBe('bash,123');
      expect(field.config.displayNameFromDS).toBe('@x[bash, 123]');
      expect(field.labels).toEqual({ hostname: 'h1', key0: 'bash', key1: '123' });
    });

    it('names the label after the key expressions when given, keeping extra commas in the last part', () => {
      const b = bufferWith(true, [{ 'node,42,foo<int, char>': 1 }]);
      const field = buildTimeSeriesFrame(b, {
        refId: 'A',
        variable: '@s',
        rate: true,
        keyNames: ['comm', 'pid', 'ustack'],
      }).fields[1];
      expect(field.labels).toEqual({ comm: 'node', pid: '42', ustack: 'foo<int, char>' });
      expect(field.config.displayNameFromDS).toBe('@s[node, 42, foo<int, char>]');
    });

    it('adds the extra labels to every value field, and not to Time', () => {
      const b = bufferWith(false, [{ a: 1, b: 2 }]);
      const frame = buildTimeSeriesFrame(b, { refId: 'A', variable: '@m', rate: false, labels: { hostname: 'h1' } });
      expect(frame.fields[0].labels).toBeUndefined();
      expect(frame.fields[1].labels).toEqual({ hostname: 'h1' });
      expect(frame.fields[2].labels).toEqual({ hostname: 'h1' });
      expect(frame.fields[1].labels).not.toBe(frame.fields[2].labels);
    });
  });

  describe('legend format', () => {
    it('substitutes $var, ${var}, $key, $instance and $host', () => {
      const b = bufferWith(true, [{ bash: 1 }]);
      const frame = buildTimeSeriesFrame(b, {
        refId: 'A',
        variable: '@bycomm',
        rate: true,
        host: 'web1',
        legendFormat: '${var}_rate $key/$instance on $host',
      });
      expect(frame.fields[1].config.displayNameFromDS).toBe('@bycomm_rate bash/bash on web1');
      expect(getFieldDisplayName(frame.fields[1], frame, [frame])).toBe('@bycomm_rate bash/bash on web1');
    });

    it('substitutes key parts and labels, and leaves unknown names alone', () => {
      const b = bufferWith(true, [{ 'bash,123': 1 }]);
      const field = buildTimeSeriesFrame(b, {
        refId: 'A',
        variable: '@x',
        rate: true,
        labels: { hostname: 'h1' },
        legendFormat: '$key1 ($key0) $hostname $key2 $nope ${nope} $host $',
      }).fields[1];
      expect(field.config.displayNameFromDS).toBe('123 (bash) h1 $key2 $nope ${nope} $host $');
    });

    it('substitutes named key parts', () => {
      const b = bufferWith(true, [{ 'bash,123': 1 }]);
      const field = buildTimeSeriesFrame(b, {
        refId: 'A',
        variable: '@x',
        rate: true,
        keyNames: ['comm', 'pid'],
        legendFormat: '$comm[$pid] $key0',
      }).fields[1];
      expect(field.config.displayNameFromDS).toBe('bash[123] bash');
    });

    it('falls back to the default name for an empty legend format', () => {
      const b = bufferWith(true, [{ bash: 1 }]);
      const field = buildTimeSeriesFrame(b, { refId: 'A', variable: '@c', rate: true, legendFormat: '' }).fields[1];
      expect(field.config.displayNameFromDS).toBe('@c[bash]');
    });

    it('gives $key and $key0 the whole key of a single-key map, and "" for a scalar', () => {
      expect(formatLegend('<$key|$key0>', { variable: '@c', key: 'a,b', parts: ['a,b'] })).toBe('<a,b|a,b>');
      const b = bufferWith(true, [{ '': 1 }]);
      const field = buildTimeSeriesFrame(b, { refId: 'A', variable: '@c', rate: true, legendFormat: '$var<$key>' })
        .fields[1];
      expect(field.config.displayNameFromDS).toBe('@c<>');
    });
  });
});

describe('keyPartLabels', () => {
  it('leaves single keys and scalars unlabelled', () => {
    expect(keyPartLabels('bash')).toBeUndefined();
    expect(keyPartLabels('')).toBeUndefined();
  });

  it('labels a single key when its name is known', () => {
    expect(keyPartLabels('bash', ['comm'])).toEqual({ parts: ['bash'], labels: { comm: 'bash' } });
  });

  it('splits on every comma without names', () => {
    expect(keyPartLabels('a,b,c')?.labels).toEqual({ key0: 'a', key1: 'b', key2: 'c' });
  });
});

/** What a reader of a frame sees: its length, and each field's name, labels, config and rows up to it. */
function visible(frame: DataFrame) {
  return {
    length: frame.length,
    fields: frame.fields.map((f) => ({
      name: f.name,
      labels: f.labels,
      config: f.config,
      rows: f.values.slice(0, frame.length),
    })),
  };
}
