/**
 * Test page for the flame-graph frame builder: fills a WideSeriesBuffer from the real-stack
 * fixture tests/fixtures/kstacks.json (two samples of `@ks[kstack]` / `@kcomm[comm, kstack]`,
 * recorded from pmproxy + the bpftrace PMDA) the way the engine does, builds the frame with
 * src/frames/flamegraph.ts, and renders it with @grafana/flamegraph's FlameGraph component.
 *
 * Query parameters: variable=ks|kcomm (default ks), hideIdle=1, keyPartsAsRoots=1, empty=1 (a
 * range with no samples), diff=1 (the second print against the first: frames/flamegraphDiff.ts).
 * Results on window.flameHost: {ready, rows, total, totalRight, topLevel, error}.
 */
import React, { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { createTheme } from '@grafana/data';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { FlameGraph } from '@grafana/flamegraph';

import fixture from '../fixtures/kstacks.json';
import { WideSeriesBuffer } from '../../src/buffers/WideSeriesBuffer';
import { buildFlameGraphFrame } from '../../src/frames/flamegraph';
import { buildFlameGraphDiffFrame } from '../../src/frames/flamegraphDiff';
import type { FlameHost } from './pageApi';

const host: FlameHost = { ready: false, reactVersion: React.version, error: undefined };
window.flameHost = host;

const params = new URLSearchParams(location.search);
const variable = params.get('variable') === 'kcomm' ? 'kcomm' : 'ks';

/** One fixture sample as the engine appends it: instance ids named through the indom. */
interface Instance {
  instance: number;
  name: string;
  value: number;
}

function sample(i: number): { t: number; values: Map<string, number> } {
  const metric = `bpftrace.scripts.fixture_kstacks.data.${variable}` as const;
  const fetched: { timestamp: number; values: Array<{ name: string; instances: Instance[] }> } = JSON.parse(
    fixture.samples[i].fetch
  );
  const indom: Instance[] = JSON.parse(fixture.samples[i].indom[metric]).instances;
  const names = new Map(indom.map((x) => [x.instance, x.name]));
  const values = new Map<string, number>();
  for (const x of fetched.values.find((v) => v.name === metric)!.instances) {
    values.set(names.get(x.instance)!, x.value);
  }
  return { t: Math.round(fetched.timestamp * 1000), values };
}

const s0 = sample(0);
const s1 = sample(1);
const buffer = new WideSeriesBuffer({ retentionMs: 30 * 60_000, counter: true });
// The maps when the script started (empty), then the two recorded prints: every sample counts.
buffer.append(s0.t - 1000, new Map());
buffer.append(s0.t, s0.values);
buffer.append(s1.t, s1.values);

const empty = params.get('empty') === '1';
const shape = {
  hideIdle: params.get('hideIdle') === '1',
  keyPartsAsRoots: params.get('keyPartsAsRoots') === '1',
};
// diff=1: the second print's samples (the comparison) against the first print's (the baseline).
const frame =
  params.get('diff') === '1'
    ? buildFlameGraphDiffFrame(buffer, {
        refId: 'A',
        from: s1.t,
        to: s1.t,
        baseline: { from: s0.t, to: s0.t },
        ...shape,
      })
    : buildFlameGraphFrame(buffer, { refId: 'A', from: empty ? s1.t + 1 : -Infinity, to: Infinity, ...shape });

const field = (name: string) => frame.fields.find((f) => f.name === name)!.values;
const labels = field('label');
const levels = field('level');
host.rows = frame.length;
host.total = frame.length ? field('value')[0] : 0;
host.totalRight = frame.fields.some((f) => f.name === 'valueRight') ? field('valueRight')[0] : undefined;
host.topLevel = labels.filter((_, i) => levels[i] === 1);

const theme = createTheme({ colors: { mode: 'dark' } });

class Boundary extends React.Component<{ children: ReactNode }, { error?: unknown }> {
  constructor(props: { children: ReactNode }) {
    super(props);
    this.state = { error: undefined };
  }
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  componentDidCatch(error: Error) {
    host.error = String(error?.stack ?? error);
  }
  render() {
    return this.state.error ? <pre data-testid="render-error">{String(this.state.error)}</pre> : this.props.children;
  }
}

function Page() {
  React.useEffect(() => {
    host.ready = true;
  }, []);
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div data-testid="flamegraph-page" style={{ padding: 16, width: 1368 }}>
        <Boundary>
          {/* @grafana/flamegraph 13 declares its own copy of @grafana/data 13's types; at run time it gets 12.4 (build-flamegraph.ts). */}
          {/* @ts-expect-error the theme and frame types of two @grafana/data versions */}
          <FlameGraph data={frame} getTheme={() => theme} />
        </Boundary>
      </div>
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(<Page />);
