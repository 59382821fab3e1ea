import React, { useEffect, useLayoutEffect, useRef } from 'react';
import type { CodeEditor } from '@grafana/ui';

type CodeEditorProps = React.ComponentProps<typeof CodeEditor>;

/**
 * For jest only: Grafana's CodeEditor cannot load Monaco in jsdom ("Cannot find module
 * 'monaco-editor'"), so tests replace it with a textarea that calls the same mount, change, blur,
 * save (Ctrl/Cmd+S) and unmount callbacks with a fake Monaco that records what the editor registered.
 *   jest.mock('@grafana/ui', () => ({ ...jest.requireActual('@grafana/ui'),
 *     CodeEditor: jest.requireActual('../test/fakeCodeEditor').FakeCodeEditor }));
 */

export interface FakeMonaco {
  monaco: any;
  editor: any;
  /** Every disposable handed out, to check they were disposed. */
  disposables: Array<{ dispose: jest.Mock }>;
  actions: Array<{ id: string; keybindings?: number[]; run: () => void }>;
  /** The latest markers per owner. */
  markers: Map<string, any[]>;
  /** Ranges the editor asked to track (bpftrace's marks). */
  tracked: any[];
  value: string;
  /** Types into the editor: sets the text and fires the change listeners. */
  type(text: string): void;
}

export const fake: {
  current?: FakeMonaco;
  mounts: number;
  /** Mount Monaco only when `mount()` is called, as the real one loads lazily. */
  deferMount?: boolean;
  mount?: () => void;
} = { mounts: 0 };

function makeFake(initial: string): FakeMonaco {
  const disposables: FakeMonaco['disposables'] = [];
  const disposable = () => {
    const d = { dispose: jest.fn() };
    disposables.push(d);
    return d;
  };
  const listeners: Array<() => void> = [];
  const model = { id: `model-${fake.mounts}`, getValue: () => f.value, getFullModelRange: () => ({ whole: true }) };
  const f: FakeMonaco = {
    value: initial,
    disposables,
    actions: [],
    markers: new Map(),
    tracked: [],
    monaco: {
      languages: {
        getLanguages: () => [],
        register: jest.fn(),
        setMonarchTokensProvider: jest.fn(),
        setLanguageConfiguration: jest.fn(),
        registerCompletionItemProvider: jest.fn(() => disposable()),
        registerHoverProvider: jest.fn(() => disposable()),
        registerSignatureHelpProvider: jest.fn(() => disposable()),
        registerCodeActionProvider: jest.fn(() => disposable()),
        CompletionItemKind: {
          Module: 8,
          Event: 10,
          Folder: 23,
          Function: 1,
          Method: 0,
          Variable: 4,
          Field: 3,
          Keyword: 17,
          Snippet: 27,
          EnumMember: 16,
        },
        CompletionItemInsertTextRule: { InsertAsSnippet: 4 },
      },
      editor: {
        setModelMarkers: jest.fn((_m: unknown, owner: string, markers: any[]) => f.markers.set(owner, markers)),
        TrackedRangeStickiness: { NeverGrowsWhenTypingAtEdges: 1 },
      },
      KeyMod: { CtrlCmd: 2048, Shift: 1024 },
      KeyCode: { Enter: 3 },
      MarkerSeverity: { Error: 8, Warning: 4, Info: 2 },
      Range: class {
        constructor(
          public startLineNumber: number,
          public startColumn: number,
          public endLineNumber: number,
          public endColumn: number
        ) {}
      },
    },
    editor: {
      getValue: () => f.value,
      getModel: () => model,
      addAction: jest.fn((a) => {
        f.actions.push(a);
        return disposable();
      }),
      onDidChangeModelContent: jest.fn((cb: () => void) => {
        listeners.push(cb);
        return disposable();
      }),
      createDecorationsCollection: () => ({
        set: (decorations: any[]) => {
          f.tracked = decorations.map((d) => d.range);
        },
        getRange: (i: number) => f.tracked[i] ?? null,
      }),
      // Replacing the whole text is all bpflive edits programmatically (the cheat sheet).
      executeEdits: jest.fn((_source: string, edits: Array<{ text: string }>) => {
        f.type(edits[0].text);
        return true;
      }),
      pushUndoStop: jest.fn(),
      setPosition: jest.fn(),
      revealPositionInCenterIfOutsideViewport: jest.fn(),
      focus: jest.fn(),
    },
    type(text: string) {
      f.value = text;
      listeners.forEach((l) => l());
    },
  };
  return f;
}

export function FakeCodeEditor(props: CodeEditorProps) {
  const ref = useRef<FakeMonaco | undefined>(undefined);
  const latest = useRef(props);
  useLayoutEffect(() => {
    latest.current = props;
  });
  useEffect(() => {
    let mounted = false;
    const mount = () => {
      fake.mounts++;
      const f = makeFake(latest.current.value);
      ref.current = f;
      fake.current = f;
      mounted = true;
      latest.current.onBeforeEditorMount?.(f.monaco);
      latest.current.onEditorDidMount?.(f.editor, f.monaco);
    };
    if (fake.deferMount) {
      fake.mount = mount;
    } else {
      mount();
    }
    return () => {
      if (mounted) {
        latest.current.onEditorWillUnmount?.();
      }
    };
  }, []);
  // A new value from the query replaces the text, as Monaco's React wrapper does.
  useEffect(() => {
    const f = ref.current;
    if (f && props.value !== f.value) {
      f.type(props.value);
    }
  }, [props.value]);
  return (
    <textarea
      data-testid="fake-code-editor"
      data-language={props.language}
      defaultValue={props.value}
      onBlur={() => props.onBlur?.(ref.current?.value ?? '')}
      // CodeEditor's own Ctrl/Cmd+S binding.
      onKeyDown={(e) => {
        if (e.key === 's' && (e.ctrlKey || e.metaKey)) {
          props.onSave?.(ref.current?.value ?? '');
        }
      }}
    />
  );
}
