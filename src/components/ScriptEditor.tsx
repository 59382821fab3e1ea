import React, { useCallback, useEffect, useLayoutEffect, useRef } from 'react';
import { CodeEditor, Monaco, MonacoEditor, monacoTypes } from '@grafana/ui';
import { LANGUAGE_ID, MARKER_OWNER, registerBpftraceLanguage, toMarkers } from '../language/bpftrace';
import { completionProvider } from '../language/completion';
import { Diagnostic } from '../language/diagnostics';
import { codeActionProvider } from '../language/fixes';
import { hoverProvider } from '../language/hover';
import { ProbeCatalog } from '../language/probeCatalog';
import { signatureHelpProvider } from '../language/signatureHelp';
import { indexWhenIdle } from './idleIndexing';

/** With live run on, the script runs this long after the last keystroke (if it has no error). */
export const RUN_DELAY_MS = 1000;
/** Lints follow the text this closely. */
export const DRAFT_DELAY_MS = 150;

export interface ErrorMarks {
  /** The code bpftrace saw; the marks are placed only while the editor shows that code. */
  code: string;
  diagnostics: Diagnostic[];
}

/**
 * What asked for a run. 'run' is explicit (Shift+Enter, Ctrl/Cmd+Enter, Ctrl/Cmd+S, the Run
 * button) and runs even unchanged code again; 'blur' (leaving the editor) and 'idle' (live run,
 * typing stopped) run only a changed text.
 */
export type RunTrigger = 'run' | 'blur' | 'idle';

export interface EditorHandle {
  /** Puts the cursor at a place and shows it. */
  reveal(line: number, column: number): void;
  /** Runs the text as it is in the editor now, as Shift+Enter does. */
  run(): void;
  /** Replaces the whole text (one undoable edit) without running it: the cheat sheet's examples. */
  replace(text: string): void;
}

interface Props {
  /** The committed code (the query's). */
  code: string;
  /** Lints of the text as it is now. */
  diagnostics: Diagnostic[];
  /** bpftrace's errors for the last run. */
  errorMarks?: ErrorMarks;
  catalog: () => ProbeCatalog | undefined;
  loadCatalog: () => Promise<ProbeCatalog | undefined>;
  /** The text as the user types (lightly debounced): for lints and the status line. */
  onDraft: (code: string) => void;
  /**
   * Run the script, which the caller may refuse. Typing alone never calls this unless `liveRun`
   * is on: the committed code is what Grafana runs, as root on the host, on every refresh.
   */
  onCommit: (code: string, trigger: RunTrigger) => void;
  /** Also run when typing stops for RUN_DELAY_MS. */
  liveRun: boolean;
  onReady?: (handle: EditorHandle) => void;
}

const LINE_HEIGHT = 19;

/**
 * Grafana's CodeEditor with the bpftrace language: completion, hover, signature help and
 * markers. Providers are registered per editor and disposed with it; each answers only for its
 * own model, since Monaco's registrations are global.
 */
export function ScriptEditor(props: Props) {
  const latest = useRef(props);
  useLayoutEffect(() => {
    latest.current = props;
  });
  const editorRef = useRef<MonacoEditor | undefined>(undefined);
  const monacoRef = useRef<Monaco | undefined>(undefined);
  const disposables = useRef<monacoTypes.IDisposable[]>([]);
  const runTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const draftTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const errorRanges = useRef<{
    collection?: monacoTypes.editor.IEditorDecorationsCollection;
    diagnostics: Diagnostic[];
  }>({
    diagnostics: [],
  });
  const [height, setHeight] = React.useState(() => heightFor(props.code));

  const commit = useCallback((trigger: RunTrigger) => {
    clearTimeout(runTimer.current);
    runTimer.current = undefined;
    const editor = editorRef.current;
    if (editor) {
      const text = editor.getValue();
      // The draft first, so that the status and the lints describe the text that was run.
      clearTimeout(draftTimer.current);
      latest.current.onDraft(text);
      latest.current.onCommit(text, trigger);
    }
  }, []);

  /** With live run on, a run once typing has stopped for RUN_DELAY_MS. */
  const scheduleIdleRun = useCallback(() => {
    clearTimeout(runTimer.current);
    runTimer.current = latest.current.liveRun ? setTimeout(() => commit('idle'), RUN_DELAY_MS) : undefined;
  }, [commit]);

  const updateMarkers = useCallback(() => {
    const editor = editorRef.current;
    const monaco = monacoRef.current;
    const model = editor?.getModel();
    if (!editor || !monaco || !model) {
      return;
    }
    // bpftrace's marks follow the text as it is edited, until the next run replaces them.
    const tracked: Diagnostic[] = [];
    const { collection, diagnostics } = errorRanges.current;
    diagnostics.forEach((d, i) => {
      const r = collection?.getRange(i);
      if (r) {
        tracked.push({
          ...d,
          startLine: r.startLineNumber,
          startColumn: r.startColumn,
          endLine: r.endLineNumber,
          endColumn: r.endColumn,
        });
      }
    });
    monaco.editor.setModelMarkers(model, MARKER_OWNER, toMarkers(monaco, [...tracked, ...latest.current.diagnostics]));
  }, []);

  /** bpftrace's errors, placed when the editor still shows the code they are about. */
  const applyErrorMarks = useCallback(() => {
    const editor = editorRef.current;
    const monaco = monacoRef.current;
    const { collection } = errorRanges.current;
    if (!editor || !monaco || !collection) {
      return;
    }
    const marks = latest.current.errorMarks;
    const diagnostics = marks && marks.code === editor.getValue() ? marks.diagnostics : [];
    collection.set(
      diagnostics.map((d) => ({
        range: new monaco.Range(d.startLine, d.startColumn, d.endLine, d.endColumn),
        options: { stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges },
      }))
    );
    errorRanges.current.diagnostics = diagnostics;
    updateMarkers();
  }, [updateMarkers]);

  const onBeforeEditorMount = useCallback((monaco: Monaco) => {
    registerBpftraceLanguage(monaco);
  }, []);

  const onEditorDidMount = useCallback(
    (editor: MonacoEditor, monaco: Monaco) => {
      editorRef.current = editor;
      monacoRef.current = monaco;
      const modelId = () => editor.getModel()?.id;
      // Every lookup (completion, hover) leaves the catalog's index work for idle time.
      const catalog = () => {
        const c = latest.current.catalog();
        if (c) {
          indexWhenIdle(c);
        }
        return c;
      };
      disposables.current.push(
        monaco.languages.registerCompletionItemProvider(
          LANGUAGE_ID,
          completionProvider(monaco, { modelId, catalog, loadCatalog: () => latest.current.loadCatalog() })
        ),
        monaco.languages.registerHoverProvider(LANGUAGE_ID, hoverProvider(monaco, { modelId, catalog })),
        monaco.languages.registerSignatureHelpProvider(LANGUAGE_ID, signatureHelpProvider({ modelId })),
        // One-click fixes on the markers whose cure is mechanical (args. → args->, …).
        monaco.languages.registerCodeActionProvider(LANGUAGE_ID, codeActionProvider({ modelId }), {
          providedCodeActionKinds: ['quickfix'],
        }),
        editor.addAction({
          id: 'bpflive.run',
          label: 'Run the bpftrace script',
          keybindings: [monaco.KeyMod.Shift | monaco.KeyCode.Enter, monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
          run: () => commit('run'),
        }),
        editor.onDidChangeModelContent(() => {
          const text = editor.getValue();
          scheduleIdleRun();
          clearTimeout(draftTimer.current);
          draftTimer.current = setTimeout(() => latest.current.onDraft(text), DRAFT_DELAY_MS);
          setHeight(heightFor(text));
          // Markers are not set here: Monaco moves the present ones with the edit until the
          // lints of the new text arrive.
        })
      );
      errorRanges.current.collection = editor.createDecorationsCollection();
      latest.current.onReady?.({
        reveal(line, column) {
          editor.setPosition({ lineNumber: line, column });
          editor.revealPositionInCenterIfOutsideViewport({ lineNumber: line, column });
          editor.focus();
        },
        run: () => commit('run'),
        replace(text) {
          const model = editor.getModel();
          if (model) {
            editor.pushUndoStop();
            editor.executeEdits('bpflive.example', [{ range: model.getFullModelRange(), text }]);
            editor.pushUndoStop();
            editor.focus();
          }
        },
      });
      // Monaco loads lazily: errors and lints may have arrived before it did.
      applyErrorMarks();
    },
    [commit, scheduleIdleRun, applyErrorMarks]
  );

  const onEditorWillUnmount = useCallback(() => {
    clearTimeout(runTimer.current);
    clearTimeout(draftTimer.current);
    for (const d of disposables.current) {
      d.dispose();
    }
    disposables.current = [];
    const model = editorRef.current?.getModel();
    if (model && monacoRef.current) {
      monacoRef.current.editor.setModelMarkers(model, MARKER_OWNER, []);
    }
    editorRef.current = undefined;
  }, []);

  // Unmounting before Monaco loaded: nothing to dispose but the timers.
  useEffect(
    () => () => {
      clearTimeout(runTimer.current);
      clearTimeout(draftTimer.current);
    },
    []
  );

  useEffect(() => {
    applyErrorMarks();
  }, [props.errorMarks, applyErrorMarks]);

  useEffect(() => {
    updateMarkers();
  }, [props.diagnostics, updateMarkers]);

  // Live run turned on with an edit waiting: it runs as if typing had just stopped. Turned off:
  // a run already scheduled must not happen.
  useEffect(() => {
    const editor = editorRef.current;
    if (!props.liveRun || (editor && editor.getValue() !== latest.current.code)) {
      scheduleIdleRun();
    }
  }, [props.liveRun, scheduleIdleRun]);

  const onBlur = useCallback(() => commit('blur'), [commit]);
  const onSave = useCallback(() => commit('run'), [commit]);

  return (
    <div data-testid="bpflive-query-editor">
      <CodeEditor
        value={props.code}
        language={LANGUAGE_ID}
        height={height}
        showLineNumbers
        showMiniMap={false}
        monacoOptions={MONACO_OPTIONS}
        onBeforeEditorMount={onBeforeEditorMount}
        onEditorDidMount={onEditorDidMount}
        onEditorWillUnmount={onEditorWillUnmount}
        onBlur={onBlur}
        onSave={onSave}
      />
    </div>
  );
}

const MONACO_OPTIONS = {
  scrollBeyondLastLine: false,
  wordBasedSuggestions: false,
  quickSuggestions: { other: true, comments: false, strings: false },
  suggest: { showWords: false, showStatusBar: false },
  folding: false,
  renderLineHighlight: 'none' as const,
  overviewRulerLanes: 0,
  fontSize: 13,
  lineHeight: LINE_HEIGHT,
};

/** Grows with the script, between 6 and 30 lines. */
function heightFor(code: string): number {
  const lines = (code ?? '').split('\n').length;
  return Math.min(30, Math.max(6, lines + 1)) * LINE_HEIGHT + 10;
}
