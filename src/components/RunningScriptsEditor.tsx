import React, { useState } from 'react';
import { css } from '@emotion/css';
import { DataFrame, GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import { Alert, Button, ConfirmButton, Field, Input, Text, useStyles2 } from '@grafana/ui';
import { DataSource } from '../datasource';
import { percentText } from '../shared/percent';
import { BpfliveOptions, BpftraceQuery } from '../types';

type Props = QueryEditorProps<DataSource, BpftraceQuery, BpfliveOptions>;

/**
 * The editor of a "Running scripts" query: which host, and the scripts it runs now, each with a
 * Stop button for Editors and Admins. Stop is a POST on the control route (plugin.json: Editor
 * only), so Grafana's server refuses it for a Viewer; a Viewer's browser does not even send it.
 */
export function RunningScriptsEditor({ query, onChange, onRunQuery, datasource, data }: Props) {
  const styles = useStyles2(getStyles);
  const [host, setHost] = useState(query.hostspec ?? '');
  const [message, setMessage] = useState<{ error: boolean; text: string } | undefined>(undefined);
  const rows = rowsOf(data?.series.find((f) => f.meta?.custom?.view === 'runningScripts'));
  const mayStop = datasource.mayStopScripts;

  const stop = async (id: string, name: string) => {
    try {
      await datasource.stopScript(id, query.hostspec);
      setMessage({ error: false, text: `Stopped ${name}.` });
    } catch (e) {
      setMessage({ error: true, text: `Could not stop ${name}: ${e instanceof Error ? e.message : String(e)}` });
    }
  };

  return (
    <div className={styles.wrapper} data-testid="bpflive-running-scripts">
      <Field
        label="Host"
        description="The pmcd host whose bpftrace scripts to list (default: the datasource's); a variable such as $host works."
      >
        <Input
          width={40}
          value={host}
          placeholder={datasource.settings.hostspec}
          onChange={(e) => setHost(e.currentTarget.value)}
          onBlur={() => {
            if ((query.hostspec ?? '') !== host) {
              onChange({ ...query, hostspec: host.trim() || undefined });
              onRunQuery();
            }
          }}
        />
      </Field>
      <Text variant="bodySmall" color="secondary">
        Every bpftrace script the host&apos;s PMDA runs, whoever registered it: this datasource&apos;s queries, other
        bpflive datasources, the PMDA&apos;s autostart scripts, other tools. CPU and memory are those of each
        script&apos;s bpftrace process (PCP&apos;s proc metrics, over 5 s).{' '}
        {mayStop
          ? 'Stopping a script a panel still shows makes that panel start it again; stopping another tool’s script stops it for that tool.'
          : 'Only Editors and Admins can stop scripts.'}
      </Text>
      {message && (
        <Alert
          severity={message.error ? 'error' : 'success'}
          title={message.text}
          onRemove={() => setMessage(undefined)}
        />
      )}
      {rows.length > 0 && (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Registered by</th>
              <th>State</th>
              <th>CPU</th>
              <th>Code</th>
              <th />
              {mayStop && <th />}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="bpflive-running-script">
                <td>{r.name}</td>
                <td>{r.origin}</td>
                <td>{r.state}</td>
                <td>{r.cpu === null ? '' : percentText(r.cpu)}</td>
                <td className={styles.code}>{r.code}</td>
                <td>
                  {r.origin === 'PMDA autostart' || r.origin === 'named script' ? (
                    <Button
                      size="sm"
                      variant="secondary"
                      tooltip="This query then shows that script's data (it joins it; nothing is registered)"
                      onClick={() => {
                        onChange({ ...query, queryType: undefined, scriptName: r.name });
                        onRunQuery();
                      }}
                    >
                      Show here
                    </Button>
                  ) : null}
                </td>
                {mayStop && (
                  <td>
                    <ConfirmButton
                      size="sm"
                      confirmVariant="destructive"
                      confirmText="Stop it"
                      onConfirm={() => void stop(r.id, r.name)}
                    >
                      Stop
                    </ConfirmButton>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

interface Row {
  id: string;
  name: string;
  origin: string;
  state: string;
  cpu: number | null;
  code: string;
}

/** The editor's glance at the query's own table (query/runningScripts.ts builds it). */
export function rowsOf(frame: DataFrame | undefined): Row[] {
  const column = (name: string) => frame?.fields.find((f) => f.name === name)?.values ?? [];
  const ids = column('Script id');
  return ids.map((id, i) => ({
    id: String(id),
    name: String(column('Name')[i] ?? id),
    origin: String(column('Registered by')[i] ?? ''),
    state: String(column('State')[i] ?? ''),
    cpu: typeof column('CPU')[i] === 'number' ? column('CPU')[i] : null,
    code: String(column('Code')[i] ?? ''),
  }));
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  table: css({
    width: '100%',
    fontSize: theme.typography.bodySmall.fontSize,
    'th, td': { padding: theme.spacing(0.25, 1), textAlign: 'left', verticalAlign: 'middle' },
  }),
  code: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    maxWidth: '50ch',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
});
