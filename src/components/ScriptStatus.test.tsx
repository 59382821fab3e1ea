import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { Diagnostic } from '../language/diagnostics';
import { firstLine, ScriptStatus } from './ScriptStatus';

const budget = { encoded: 120, max: 7800, ratio: 120 / 7800 };
const problem = (line: number, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
  severity,
  message,
  code: 'x',
  startLine: line,
  startColumn: 3,
  endLine: line,
  endColumn: 5,
});

function show(props: Partial<React.ComponentProps<typeof ScriptStatus>>) {
  const onReveal = jest.fn();
  render(
    <ScriptStatus
      errors={[]}
      version={{ kind: 'current', text: 'Running the code you ran at 10:42:13' }}
      problems={[]}
      notes={[]}
      budget={budget}
      onReveal={onReveal}
      {...props}
    />
  );
  return onReveal;
}

describe('ScriptStatus', () => {
  it.each([
    [{ status: 'registering' as const }, 'Registering…'],
    [{ status: 'starting' as const }, 'Starting…'],
    [{ status: 'started' as const, probes: 1 }, 'Running · 1 probe'],
    [{ status: 'started' as const, probes: 12 }, 'Running · 12 probes'],
    [{ status: 'stopped' as const }, 'Stopped'],
  ])('shows %j as %s', (s, text) => {
    show({ state: { ...s, variables: [], shown: [], warnings: [] } });
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent(text);
  });

  it('shows an error with its first line', () => {
    show({
      state: { status: 'error', variables: [], shown: [], warnings: [] },
      errors: ['\nno bpftrace variables or printf statements found\nmore'],
    });
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Error');
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('no bpftrace variables or printf statements found');
  });

  it('lists problems, reveals one on click, folds the rest', () => {
    const onReveal = show({
      problems: [1, 2, 3, 4, 5, 6].map((l) => problem(l, `problem ${l}`)),
      notes: ['a note'],
    });
    const list = screen.getByTestId('bpflive-problems');
    expect(list).toHaveTextContent('a note');
    expect(list).toHaveTextContent('problem 3');
    expect(list).not.toHaveTextContent('problem 4');
    fireEvent.click(screen.getByText('Ln 2, Col 3'));
    expect(onReveal).toHaveBeenCalledWith(2, 3);
    fireEvent.click(screen.getByText('3 more'));
    expect(list).toHaveTextContent('problem 6');
  });

  it('shows how much of the URL limit the script takes', () => {
    show({ budget: { encoded: 7300, max: 7800, ratio: 7300 / 7800 } });
    expect(screen.getByTestId('bpflive-url-budget')).toHaveTextContent('URL 94% of limit');
  });

  it('shows which version runs next to what the engine says of it', () => {
    show({ state: { status: 'started', probes: 2, variables: [], shown: [], warnings: [] } });
    expect(screen.getByTestId('bpflive-engine')).toHaveTextContent('Running · 2 probes');
    expect(screen.getByTestId('bpflive-version')).toHaveTextContent('Running the code you ran at 10:42:13');
  });

  it('says an edit does not run, and a refused run, whatever the engine says', () => {
    const state = { status: 'started' as const, variables: [], shown: [], warnings: [] };
    const text = 'Edited since it ran — Shift+Enter or Run to run these changes';
    const { unmount } = render(
      <ScriptStatus
        state={state}
        errors={[]}
        version={{ kind: 'edited', text }}
        problems={[]}
        notes={[]}
        budget={budget}
        onReveal={jest.fn()}
      />
    );
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent(`Running${text}`);
    unmount();
    show({ state, version: { kind: 'refused', text: 'Not run: fix the 2 errors marked in the editor' } });
    expect(screen.getByTestId('bpflive-version')).toHaveAttribute('data-kind', 'refused');
    expect(screen.getByTestId('bpflive-version')).toHaveTextContent('Not run: fix the 2 errors marked in the editor');
  });

  it('shows no engine state before anything ran, only the version', () => {
    show({ version: { kind: 'none', text: 'Not run yet' } });
    expect(screen.queryByTestId('bpflive-engine')).toBeNull();
    expect(screen.getByTestId('bpflive-status')).toHaveTextContent('Not run yet');
  });

  it('shows the controls it is given at the end of the line', () => {
    show({ actions: <button type="button">Run</button> });
    expect(screen.getByRole('button', { name: 'Run' })).toBeInTheDocument();
  });
});

describe('firstLine', () => {
  it("makes bpftrace's location prefix readable", () => {
    expect(firstLine('stdin:2:8-15: ERROR: syntax error, unexpected ;\n  @a')).toBe(
      'bpftrace, line 2: syntax error, unexpected ;'
    );
    expect(firstLine("ERROR: Error attaching probe: 'kprobe:x'")).toBe("bpftrace: Error attaching probe: 'kprobe:x'");
    expect(firstLine('plain')).toBe('plain');
  });
});

describe('ScriptStatus for a Viewer', () => {
  it('says the script is not running and why, instead of spinning', () => {
    render(
      <ScriptStatus
        state={{
          status: 'registering',
          phase: 'waiting',
          variables: [],
          shown: [],
          warnings: [],
          info: 'This script is not running on the host, and your Grafana role may not start scripts.',
        }}
        errors={[]}
        version={{ kind: 'current', text: 'Running the code you ran at 10:42:13' }}
        problems={[]}
        notes={[]}
        budget={{ encoded: 10, max: 7800, ratio: 0.001 }}
        onReveal={() => undefined}
      />
    );
    expect(screen.getByTestId('bpflive-engine')).toHaveTextContent(/Not running.*may not start scripts/);
  });

  it('shows the overhead meter of a running script, orange with the budget over it', () => {
    show({
      state: {
        status: 'started',
        variables: [],
        shown: [],
        warnings: [],
        cost: { cpu: 0.021, rssBytes: 52428800, windowMs: 5000 },
      },
    });
    const meter = screen.getByTestId('bpflive-overhead');
    expect(meter.textContent).toContain('CPU 2.1 %');
  });

  it('shows no meter before the process was measured twice, nor for a stopped script', () => {
    show({ state: { status: 'started', variables: [], shown: [], warnings: [], cost: { rssBytes: 1 } } });
    expect(screen.queryByTestId('bpflive-overhead')).toBeNull();
  });
});
