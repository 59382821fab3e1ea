import { notRunMessage, runVersion, RunVersionInput } from './runVersion';

const CODE = 'BEGIN { @a = 1; }';
const base: RunVersionInput = {
  committed: CODE,
  draft: CODE,
  reported: false,
  blocking: 0,
  refused: false,
  liveRun: false,
};
// jest runs in UTC (jest.config.js); the clock is the browser's local time.
const at = new Date(2025, 0, 2, 10, 42, 13);

describe('runVersion', () => {
  it('names the run this editor made, by its time', () => {
    expect(runVersion({ ...base, ranAt: at, reported: true })).toEqual({
      kind: 'current',
      text: 'Running the code you ran at 10:42:13',
    });
  });

  it('says the saved code runs when the query came with it and a response arrived', () => {
    expect(runVersion({ ...base, reported: true }).text).toBe('Running the saved code');
  });

  it('says nothing ran before anything did', () => {
    expect(runVersion({ ...base, committed: '', draft: '' })).toEqual({ kind: 'none', text: 'Not run yet' });
    expect(runVersion(base)).toEqual({ kind: 'none', text: 'Not run yet — Shift+Enter or Run to run it' });
    expect(runVersion({ ...base, committed: '', draft: CODE })).toEqual({
      kind: 'edited',
      text: 'Not run yet — Shift+Enter or Run to run it',
    });
  });

  it('tells an edit from what runs, and how to run it', () => {
    const edited = { ...base, draft: 'BEGIN { @a = 2; }', ranAt: at, reported: true };
    expect(runVersion(edited)).toEqual({
      kind: 'edited',
      text: 'Edited since it ran — Shift+Enter or Run to run these changes',
    });
    expect(runVersion({ ...edited, ranAt: undefined, reported: false }).text).toBe(
      'Edited — Shift+Enter or Run to run these changes'
    );
    expect(runVersion({ ...edited, liveRun: true }).text).toBe('Edited — runs when you stop typing');
  });

  it('says a refused run was not run, and how many errors to fix', () => {
    const refused = { ...base, draft: 'tracepont:a:b { @a = count(); }', blocking: 2, refused: true };
    expect(runVersion(refused)).toEqual({ kind: 'refused', text: 'Not run: fix the 2 errors marked in the editor' });
    expect(runVersion({ ...refused, blocking: 1 }).text).toBe('Not run: fix the 1 error marked in the editor');
  });

  it('with live run on, an edit with errors is refused before anyone asks', () => {
    const erroneous = { ...base, draft: 'tracepont:a:b { @a = count(); }', blocking: 1, liveRun: true };
    expect(runVersion(erroneous).kind).toBe('refused');
    // Off, typing asks for nothing: the edit is just an edit until a run is asked for.
    expect(runVersion({ ...erroneous, liveRun: false }).kind).toBe('edited');
  });

  it('drops the refusal once the errors are fixed', () => {
    expect(runVersion({ ...base, draft: 'BEGIN { @a = 2; }', refused: true, blocking: 0 }).kind).toBe('edited');
  });
});

describe('notRunMessage', () => {
  it('counts the errors', () => {
    expect(notRunMessage(3)).toBe('Not run: fix the 3 errors marked in the editor');
  });
});
