import { EXAMPLE_TASKS, EXAMPLES } from './examples';
import { lint } from './lints';

describe('the cheat sheet examples', () => {
  it('has 10 to 15 examples, each under a task, with unique ids', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(10);
    expect(EXAMPLES.length).toBeLessThanOrEqual(15);
    expect(new Set(EXAMPLES.map((e) => e.id)).size).toBe(EXAMPLES.length);
    for (const e of EXAMPLES) {
      expect(EXAMPLE_TASKS).toContain(e.task);
    }
  });

  it.each(EXAMPLES.map((e) => [e.id, e.code]))('%s passes the editor checks with no error or warning', (_, code) => {
    const problems = lint(code).filter((d) => d.severity === 'error' || d.severity === 'warning');
    expect(problems).toEqual([]);
  });
});
