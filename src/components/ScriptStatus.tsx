import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, BadgeColor, ConfirmButton, Icon, IconName, Spinner, Text, Tooltip, useStyles2 } from '@grafana/ui';
import { Diagnostic, Severity } from '../language/diagnostics';
import { UrlBudget } from '../language/lints';
import type { ScriptCost, ScriptState } from '../query/leaseResponse';
import { percentText } from '../shared/percent';
import { RunVersion, RunVersionKind } from './runVersion';

interface Props {
  /** The script's state from the last response, if it ran. */
  state?: ScriptState;
  /** Errors of the last run. */
  errors: string[];
  /** Which version of the script runs, against the text in the editor (runVersion). */
  version: RunVersion;
  /** Lints and bpftrace's placed errors, for the list under the editor. */
  problems: Diagnostic[];
  /** What has no place in the code (errors in the PMDA's print block, refusals). */
  notes: string[];
  /** Things worth knowing that are not problems of the script (the probe list is unavailable). */
  hints?: string[];
  budget: UrlBudget;
  onReveal: (line: number, column: number) => void;
  /** Controls at the end of the line (Run, Live run). */
  actions?: React.ReactNode;
}

/** How many problems show before "more". */
const SHOWN = 4;

/**
 * One compact line under the editor: what the script is doing (starting, running with N probes,
 * error, stopped), which version that is (the code run, or edits not run), its warnings, how much
 * of pmproxy's URL it uses, the run controls; then the problems found.
 */
export function ScriptStatus({
  state,
  errors,
  version,
  problems,
  notes,
  hints = [],
  budget,
  onReveal,
  actions,
}: Props) {
  const styles = useStyles2(getStyles);
  const [all, setAll] = useState(false);
  const warnings = state?.warnings ?? [];
  const entries: Array<{ severity: Severity; message: string; at?: Diagnostic }> = [
    ...notes.map((message) => ({ severity: 'error' as const, message })),
    ...problems.map((d) => ({ severity: d.severity, message: d.message, at: d })),
    ...hints.map((message) => ({ severity: 'info' as const, message })),
  ];
  const shown = all ? entries : entries.slice(0, SHOWN);

  return (
    <div className={styles.wrapper} data-testid="bpflive-script-status">
      <div className={styles.line}>
        <span className={styles.status} data-testid="bpflive-status">
          <StatusBadge state={state} errors={errors} />
          <VersionText version={version} />
        </span>
        {warnings.length > 0 && (
          <Badge
            color="orange"
            icon="exclamation-triangle"
            text={warnings.length === 1 ? 'Warning' : `${warnings.length} warnings`}
            tooltip={warnings.join('\n')}
            data-testid="bpflive-warnings"
          />
        )}
        {state?.status === 'started' && <OverheadMeter cost={state.cost} />}
        <span className={styles.grow} />
        <Tooltip
          content={`URL-encoded, the script takes ${budget.encoded.toLocaleString('en-US')} of the ${budget.max.toLocaleString('en-US')} characters pmproxy's URL limit leaves for it. Comments are not sent.`}
        >
          <span className={styles.budget} data-testid="bpflive-url-budget">
            <Text
              variant="bodySmall"
              color={budget.ratio > 1 ? 'error' : budget.ratio >= 0.9 ? 'warning' : 'secondary'}
            >
              {`URL ${Math.round(budget.ratio * 100)}% of limit`}
            </Text>
          </span>
        </Tooltip>
        {actions}
      </div>
      {entries.length > 0 && (
        <ul className={styles.problems} data-testid="bpflive-problems">
          {shown.map((e, i) => (
            <li key={i} className={styles.problem}>
              <Icon name={ICON[e.severity]} className={styles.icon[e.severity]} size="sm" />
              {e.at ? (
                <button
                  type="button"
                  className={styles.where}
                  onClick={() => onReveal(e.at!.startLine, e.at!.startColumn)}
                  title="Show in the editor"
                >
                  {`Ln ${e.at.startLine}, Col ${e.at.startColumn}`}
                </button>
              ) : null}
              <span className={styles.message}>{e.message}</span>
            </li>
          ))}
          {entries.length > SHOWN && (
            <li>
              <button type="button" className={styles.more} onClick={() => setAll(!all)}>
                {all ? 'Show fewer' : `${entries.length - SHOWN} more`}
              </button>
            </li>
          )}
        </ul>
      )}
    </div>
  );
}

/**
 * "Stop recording": an Editor's explicit action, confirmed, that deregisters the named recording on
 * the host (its history stays in the series store). Shown only to a session that may record; the
 * datasource refuses it for others anyway, and Grafana's server refuses their control route.
 */
export function StopRecordingButton({ name, onStop }: { name: string; onStop: () => Promise<void> }) {
  const [message, setMessage] = useState<{ error: boolean; text: string }>();
  const stop = async () => {
    try {
      await onStop();
      setMessage({ error: false, text: `Stopped the recording ${name}; its history stays in the series store.` });
    } catch (e) {
      setMessage({ error: true, text: `Could not stop ${name}: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  return (
    <>
      {message && (
        <Text
          variant="bodySmall"
          color={message.error ? 'error' : 'secondary'}
          data-testid="bpflive-stop-recording-result"
        >
          {message.text}
        </Text>
      )}
      <ConfirmButton
        size="sm"
        confirmVariant="destructive"
        confirmText="Yes, stop recording"
        onConfirm={() => void stop()}
        data-testid="bpflive-stop-recording"
      >
        <Tooltip
          content={`Stop ${name} on the host: pmlogger records it no more, and Record is turned off in this query.`}
        >
          <span>Stop recording</span>
        </Tooltip>
      </ConfirmButton>
    </>
  );
}

/**
 * The overhead meter: the share of one CPU the script's bpftrace uses (PCP's proc metrics, over
 * the last few seconds) and its memory; orange over the datasource's budget. Nothing until the
 * first two samples of its process (about 5 s after it started).
 */
export function OverheadMeter({ cost }: { cost?: ScriptCost }) {
  if (cost?.cpu === undefined) {
    return null;
  }
  const cpu = percentText(cost.cpu);
  const memory = cost.rssBytes === undefined ? '' : `, ${Math.round(cost.rssBytes / 1048576)} MiB resident`;
  const budget =
    cost.budget === undefined
      ? 'The datasource sets no CPU budget.'
      : `The datasource's budget is ${percentText(cost.budget)} per script${cost.overBudget ? ': this script is over it.' : '.'}`;
  return (
    <Badge
      color={cost.overBudget ? 'orange' : 'blue'}
      icon={cost.overBudget ? 'exclamation-triangle' : 'dashboard'}
      text={`CPU ${cpu}`}
      tooltip={`bpftrace uses ${cpu} of one CPU${memory} (PCP proc metrics of its process, over the last ${Math.round((cost.windowMs ?? 0) / 1000)} s). ${budget}`}
      data-testid="bpflive-overhead"
    />
  );
}

/** Which version runs: the code run at a time, an edit not run, a run refused for errors. */
function VersionText({ version }: { version: RunVersion }) {
  const styles = useStyles2(getStyles);
  const look: Record<RunVersionKind, { color: 'secondary' | 'primary' | 'error'; icon?: IconName }> = {
    none: { color: 'secondary' },
    current: { color: 'secondary' },
    edited: { color: 'primary', icon: 'pen' },
    refused: { color: 'error', icon: 'exclamation-circle' },
  };
  const { color, icon } = look[version.kind];
  return (
    <span className={styles.version} data-testid="bpflive-version" data-kind={version.kind}>
      {icon && <Icon name={icon} size="sm" className={version.kind === 'refused' ? styles.icon.error : undefined} />}
      <Text variant="bodySmall" color={color} truncate>
        {version.text}
      </Text>
    </span>
  );
}

/** What the engine says of the script; nothing before a response arrived (the version says so). */
function StatusBadge({ state, errors }: { state?: ScriptState; errors: string[] }) {
  const styles = useStyles2(getStyles);
  const status = state?.status ?? (errors.length > 0 ? 'error' : undefined);
  if (status === undefined) {
    return null;
  }
  if (status === 'error') {
    const first = firstLine(errors[0] ?? 'bpftrace failed');
    return (
      <span className={styles.error} data-testid="bpflive-engine">
        <Badge color="red" icon="exclamation-circle" text="Error" tooltip={errors.join('\n\n') || undefined} />
        <span className={styles.errorText}>
          <Text variant="bodySmall" color="error" truncate>
            {first}
          </Text>
        </span>
      </span>
    );
  }
  if (state?.phase === 'waiting') {
    // A Viewer's session that may not start the script: say so plainly, never a spinner forever.
    return (
      <span className={styles.error} data-testid="bpflive-engine">
        <Badge color="orange" icon="lock" text="Not running" tooltip={state.info} />
        <span className={styles.errorText}>
          <Text variant="bodySmall" color="secondary" truncate>
            {state.info ?? ''}
          </Text>
        </span>
      </span>
    );
  }
  const shown: Record<string, { color: BadgeColor; icon?: IconName; text: string; spin?: boolean }> = {
    registering: { color: 'blue', text: 'Registering…', spin: true },
    starting: { color: 'blue', text: 'Starting…', spin: true },
    started: {
      color: 'green',
      icon: 'check-circle',
      text: `Running${state?.probes ? ` · ${state.probes} ${state.probes === 1 ? 'probe' : 'probes'}` : ''}`,
    },
    stopping: { color: 'darkgrey', text: 'Stopping…', spin: true },
    stopped: { color: 'darkgrey', icon: 'pause', text: 'Stopped' },
  };
  const s = shown[status] ?? { color: 'darkgrey', text: status };
  return (
    <span className={styles.error} data-testid="bpflive-engine">
      {s.spin && <Spinner inline size="sm" />}
      <Badge color={s.color} icon={s.icon} text={s.text} />
    </span>
  );
}

/** The first line of an error, with bpftrace's `stdin:2:8-15: ERROR:` made readable. */
export function firstLine(text: string): string {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
  const m = /^stdin:(\d+)(?:-\d+)?(?::\d+(?:-\d+)?)?:\s*(?:ERROR|WARNING):\s*(.*)$/.exec(line);
  return m ? `bpftrace, line ${m[1]}: ${m[2]}` : line.replace(/^ERROR:\s*/, 'bpftrace: ');
}

const ICON: Record<Severity, IconName> = {
  error: 'exclamation-circle',
  warning: 'exclamation-triangle',
  info: 'info-circle',
};

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) }),
  line: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1), minHeight: theme.spacing(3) }),
  grow: css({ flexGrow: 1 }),
  status: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(1), minWidth: 0 }),
  version: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(0.5), minWidth: 0 }),
  budget: css({ whiteSpace: 'nowrap' }),
  error: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(1), minWidth: 0 }),
  errorText: css({ minWidth: 0, maxWidth: '60ch', overflow: 'hidden' }),
  problems: css({
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.25),
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  problem: css({ display: 'flex', alignItems: 'baseline', gap: theme.spacing(1) }),
  icon: {
    error: css({ color: theme.colors.error.text, flexShrink: 0, alignSelf: 'center' }),
    warning: css({ color: theme.colors.warning.text, flexShrink: 0, alignSelf: 'center' }),
    info: css({ color: theme.colors.info.text, flexShrink: 0, alignSelf: 'center' }),
  },
  where: css({
    background: 'none',
    border: 'none',
    padding: 0,
    color: theme.colors.text.link,
    cursor: 'pointer',
    whiteSpace: 'nowrap',
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  message: css({ color: theme.colors.text.secondary }),
  more: css({ background: 'none', border: 'none', padding: 0, color: theme.colors.text.link, cursor: 'pointer' }),
});
