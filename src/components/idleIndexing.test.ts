import { ProbeCatalog } from '../language/probeCatalog';
import { IdleScheduler, indexWhenIdle } from './idleIndexing';

/** An idle scheduler run by hand: each idle period allows `steps` index steps. */
function manualIdle() {
  const queue: Array<(hasTime: () => boolean) => void> = [];
  const idle: IdleScheduler = { request: (work) => queue.push(work) };
  const period = (steps: number) => {
    const work = queue.shift();
    let left = steps;
    work?.(() => left-- > 0);
  };
  return { idle, queue, period };
}

const list = Array.from({ length: 10_000 }, (_, i) => `kfunc:vmlinux:fn_${i}`).join(',');
const isIndexed = (c: ProbeCatalog) =>
  (c as unknown as { providers: Map<string, { index?: unknown }> }).providers.get('kfunc')?.index !== undefined;

describe('indexWhenIdle', () => {
  it('finishes and settles the index of a provider asked for over idle periods, one request at a time', () => {
    const catalog = ProbeCatalog.fromList(list);
    const { idle, queue, period } = manualIdle();
    catalog.withPrefix('kfunc', 'vmlinux:fn_1', 3);
    indexWhenIdle(catalog, idle);
    // Read again and again (every keystroke's lookups): still one request.
    indexWhenIdle(catalog, idle);
    indexWhenIdle(catalog, idle);
    expect(queue).toHaveLength(1);
    // Two steps per period (1,024 probes each): 10,000 probes take five periods.
    for (let i = 0; i < 4; i++) {
      period(2);
      expect(isIndexed(catalog)).toBe(false);
      expect(queue).toHaveLength(1);
    }
    period(2);
    expect(isIndexed(catalog)).toBe(true);
    // Then its buckets are settled (sorted) a step at a time; once nothing is left, no further
    // request, and a later read schedules anew.
    let periods = 0;
    while (queue.length > 0 && periods < 1000) {
      period(2);
      periods++;
    }
    expect(periods).toBeGreaterThan(0);
    expect(queue).toHaveLength(0);
    indexWhenIdle(catalog, idle);
    expect(queue).toHaveLength(1);
  });
});
