import { AnnotationEvent, AnnotationQuery } from '@grafana/data';
import { firstValueFrom } from 'rxjs';
import { BpftraceQuery } from '../../src/types';
import { expectNothingLeft } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { newDataSource, PanelRun, request } from './datasourceHarness';
import { PMPROXY, stackUp, waitFor } from './stack';

// An annotation query on the real stack: the script's printf lines, through the datasource's
// AnnotationSupport (prepareQuery, query, processEvents) as Grafana's annotation layer calls it.
const EVENTS = 'interval:ms:500 { @n = count(); printf("#tick #half-second tick %d ms\\n", elapsed / 1000000); }';

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

afterEach(() => expectNothingLeft());

it('each printf line becomes an annotation at its time, tagged by its #words', async () => {
  const ds = newDataSource();
  const support = ds.annotations!;
  const anno = { enable: true, name: 'ticks', iconColor: 'red', target: { refId: 'Anno', code: EVENTS } };
  const target = support.prepareQuery!(anno as AnnotationQuery<BpftraceQuery>)!;
  const started = Date.now();
  const run = new PanelRun(ds, request([target]));
  let events: AnnotationEvent[] = [];
  await waitFor(
    '4 annotations',
    async () => {
      events =
        (await firstValueFrom(support.processEvents!(anno as AnnotationQuery<BpftraceQuery>, run.frames('Anno')))) ??
        [];
      return events.length >= 4;
    },
    30_000
  );
  for (const e of events) {
    expect(e.text).toMatch(/^#tick #half-second tick \d+ ms$/);
    expect(e.tags).toEqual(['tick', 'half-second']);
    expect(e.time).toBeGreaterThanOrEqual(started);
    expect(e.time).toBeLessThanOrEqual(Date.now());
  }
  // Lines arrive once a second (the PMDA's print interval), two per second here.
  const times = events.map((e) => e.time!);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  run.stop();
});
