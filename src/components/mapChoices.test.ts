import { mapChoices } from './mapChoices';

const CODE = 'tracepoint:sched:sched_switch { @lat_ns = hist(1); @stacks[kstack] = count(); }';

describe('mapChoices', () => {
  it('offers the maps of the text being edited, in the order they are written, before anything ran', () => {
    expect(mapChoices(CODE, {})).toEqual(['@lat_ns', '@stacks']);
    expect(mapChoices('BEGIN { printf("hi\\n"); @b = count(); @a = count(); }', {})).toEqual(['@b', '@a', '@output']);
  });

  it('ignores what a run of other code reports: the script before the edit, or one not yet reporting', () => {
    const before = { code: 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }', variables: ['@syscalls'] };
    expect(mapChoices(CODE, before)).toEqual(['@lat_ns', '@stacks']);
    expect(mapChoices(CODE, { code: CODE })).toEqual(['@lat_ns', '@stacks']);
  });

  it('keeps its order when the run of this text reports, whatever order the PMDA lists the maps in', () => {
    expect(mapChoices(CODE, { code: CODE, variables: ['@stacks', '@lat_ns'] })).toEqual(['@lat_ns', '@stacks']);
  });

  it('adds, after them, maps the running script exports that the text does not show', () => {
    expect(mapChoices(CODE, { code: CODE, variables: ['@lat_ns', '@extra', '@stacks'] })).toEqual([
      '@lat_ns',
      '@stacks',
      '@extra',
    ]);
  });

  it('offers only what the PMDA would export: not a map in a comment, nor one left out by // include', () => {
    expect(mapChoices('BEGIN { @a = count(); /* @old = count(); */ }', {})).toEqual(['@a']);
    expect(mapChoices('// include: @b\nBEGIN { @a = count(); @b = count(); }', {})).toEqual(['@b']);
  });
});
