import React, { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Alert, Button, DataSourceHttpSettings, Field, FieldSet, Input, Stack, Switch, Text } from '@grafana/ui';
import {
  MAX_MAX_SCRIPTS,
  MAX_POLL_INTERVAL_SEC,
  maxScriptsProblem,
  cpuBudgetProblem,
  pollIntervalProblem,
  retentionProblem,
} from '../settings/settings';
import {
  BpfliveOptions,
  DEFAULT_HOSTSPEC,
  DEFAULT_MAX_SCRIPTS,
  DEFAULT_POLL_INTERVAL_SEC,
  DEFAULT_RETENTION,
  DEFAULT_URL,
} from '../types';

type Props = DataSourcePluginOptionsEditorProps<BpfliveOptions>;

/** A number field's text: empty means "use the default", so undefined is stored. */
const numberText = (value: number | undefined) => (value === undefined ? '' : String(value));
const parseNumber = (text: string) => (text.trim() === '' ? undefined : Number(text.trim()));

/**
 * URL and basic auth come from Grafana's standard HTTP settings, so the password lands in
 * secureJsonData and Grafana's proxy adds it to each request: the browser never holds it.
 * bpftrace runs as root on the target host, so this page also carries who may start scripts.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData } = options;
  const setJson = <K extends keyof BpfliveOptions>(key: K, value: BpfliveOptions[K]) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, [key]: value } });

  const pollError = pollIntervalProblem(jsonData.pollIntervalSec);
  const retentionError = retentionProblem(jsonData.retention);
  const maxScriptsError = maxScriptsProblem(jsonData.maxScripts);
  const cpuBudgetError = cpuBudgetProblem(jsonData.cpuBudgetPercent);
  const viewersMayRun = jsonData.allowViewersToRun === true;
  // Provisioning can store any JSON value; Grafana's route template treats every non-empty value,
  // even the string "false", as on, while the plugin only trusts a real `true`.
  const viewersFlagNotBoolean =
    jsonData.allowViewersToRun !== undefined && typeof jsonData.allowViewersToRun !== 'boolean';

  return (
    <Stack direction="column" gap={2}>
      {options.access === 'direct' && (
        <Alert severity="error" title="Browser access is refused">
          <Stack direction="column" gap={1}>
            <span>
              This datasource is set to Browser (direct) access. bpflive refuses it: the browser would have to hold
              pmcd&apos;s credentials, and pmproxy&apos;s CORS answer does not allow the Authorization header anyway, so
              authenticated requests would fail. Use Server (proxy) access: Grafana&apos;s server then reaches pmproxy
              and adds the credentials itself.
            </span>
            <span>
              <Button size="sm" variant="secondary" onClick={() => onOptionsChange({ ...options, access: 'proxy' })}>
                Use Server (proxy) access
              </Button>{' '}
              For a provisioned datasource, set <code>access: proxy</code> in its YAML file.
            </span>
          </Stack>
        </Alert>
      )}
      {/* Grafana's standard HTTP settings: deprecated in favour of @grafana/plugin-ui, which
          would be bundled into module.js; this one is provided by Grafana at run time. */}
      {/* eslint-disable-next-line @typescript-eslint/no-deprecated */}
      <DataSourceHttpSettings
        defaultUrl={DEFAULT_URL}
        dataSourceConfig={options}
        onChange={onOptionsChange}
        showAccessOptions={false}
      />
      <div data-testid="bpflive-auth-note">
        {options.basicAuth ? (
          <Text color="secondary">
            Authentication is on. The password is kept in Grafana&apos;s secure storage and added by Grafana&apos;s
            server to each request to pmproxy; the browser never receives it.
          </Text>
        ) : (
          <Text color="warning">
            Turn Basic auth on, with a pmcd user allowed to run scripts: without it, anyone who reaches pmproxy can run
            bpftrace as root on the target host. The password is kept in Grafana&apos;s secure storage.
          </Text>
        )}
      </div>
      <FieldSet label="Performance Co-Pilot">
        <Field
          label="Host specification"
          description="The pmcd host that runs the bpftrace PMDA, as pmproxy reaches it (for example localhost or pcp://db1:44321)."
        >
          <Input
            id="bpflive-hostspec"
            width={40}
            placeholder={DEFAULT_HOSTSPEC}
            value={jsonData.hostspec ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('hostspec', e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Poll interval (seconds)"
          description={`How often panels update, 1 to ${MAX_POLL_INTERVAL_SEC}. The PMDA refreshes values once a second, so 1 is the fastest that shows anything new.`}
          invalid={!!pollError}
          error={pollError}
        >
          <Input
            id="bpflive-poll-interval"
            type="number"
            width={20}
            min={1}
            max={MAX_POLL_INTERVAL_SEC}
            step={1}
            placeholder={String(DEFAULT_POLL_INTERVAL_SEC)}
            value={numberText(jsonData.pollIntervalSec)}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
              setJson('pollIntervalSec', parseNumber(e.currentTarget.value))
            }
          />
        </Field>
        <Field
          label="Retention"
          description="How much history each panel keeps in the browser, for example 30m or 2h."
          invalid={!!retentionError}
          error={retentionError}
        >
          <Input
            id="bpflive-retention"
            width={20}
            placeholder={DEFAULT_RETENTION}
            value={jsonData.retention ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('retention', e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Other hosts"
          description="More pmcd hosts this pmproxy reaches, separated by commas or spaces (e.g. db1, web2:44321). A dashboard variable of kind Hosts lists them, with the host above, where pmcd answers."
        >
          <Input
            id="bpflive-hosts"
            width={60}
            placeholder="db1, web2:44321"
            value={jsonData.hosts ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('hosts', e.currentTarget.value)}
          />
        </Field>
      </FieldSet>
      <FieldSet label="Who may run scripts">
        <Field
          label="Max scripts"
          description={`The most scripts one browser runs at once for this datasource, 1 to ${MAX_MAX_SCRIPTS}. Each is a bpftrace process running as root on the target host.`}
          invalid={!!maxScriptsError}
          error={maxScriptsError}
        >
          <Input
            id="bpflive-max-scripts"
            type="number"
            width={20}
            min={1}
            max={MAX_MAX_SCRIPTS}
            step={1}
            placeholder={String(DEFAULT_MAX_SCRIPTS)}
            value={numberText(jsonData.maxScripts)}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('maxScripts', parseNumber(e.currentTarget.value))}
          />
        </Field>
        <Field
          label="CPU budget per script (%)"
          description="The share of one CPU each script's bpftrace process may use, e.g. 5. Its query shows the share it uses; over the budget it warns, and the Running scripts view marks it. Empty: no budget."
          invalid={!!cpuBudgetError}
          error={cpuBudgetError}
        >
          <Input
            id="bpflive-cpu-budget"
            type="number"
            width={20}
            min={0.01}
            max={100}
            step={0.5}
            placeholder="no budget"
            value={numberText(jsonData.cpuBudgetPercent)}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
              setJson('cpuBudgetPercent', parseNumber(e.currentTarget.value))
            }
          />
        </Field>
        <Field
          label="Stop scripts over budget"
          description={
            'Off by default. On: a script of this datasource over the CPU budget at two samples in a row (10 s apart) ' +
            'is stopped, and its panel says why. The risk: a panel someone relies on (an incident, a profile taken ' +
            'during a spike) stops exactly when the host is busiest, and any Viewer watching it loses its data; a ' +
            'budget set too low stops ordinary scripts. Only scripts of this datasource are stopped, never the ' +
            "host's own or another tool's."
          }
        >
          <Switch
            id="bpflive-stop-over-budget"
            value={jsonData.stopOverBudget === true}
            disabled={jsonData.cpuBudgetPercent === undefined}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('stopOverBudget', e.currentTarget.checked)}
          />
        </Field>
        <Field
          label="Viewers may start scripts"
          description={
            'Editors and Admins can always start scripts. Turning this on lets every Viewer (and anonymous ' +
            'visitors, if Grafana allows them) run any bpftrace script, which is arbitrary code running as root ' +
            'on the target host. Leave it off unless every Viewer is trusted with root on that host. While it is ' +
            "off, Viewers still see the scripts that an Editor's panel or the host's own setup keeps running."
          }
        >
          <Switch
            id="bpflive-allow-viewers"
            value={viewersMayRun}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJson('allowViewersToRun', e.currentTarget.checked)}
          />
        </Field>
        {viewersMayRun && (
          <Alert severity="warning" title="Viewers can run root code on the target host">
            Grafana&apos;s proxy now forwards Viewers&apos; script requests to pmproxy. Anyone with Viewer access to
            this datasource can trace, read and change what the kernel lets bpftrace do.
          </Alert>
        )}
        {viewersFlagNotBoolean && (
          <Alert severity="error" title="“Viewers may start scripts” is not stored as true or false">
            It is stored as {JSON.stringify(jsonData.allowViewersToRun)}. Grafana&apos;s proxy treats any non-empty
            value as on, so Viewers may be able to start scripts. Flip the switch (or write a YAML boolean in
            provisioning) to store a real true or false.
          </Alert>
        )}
      </FieldSet>
    </Stack>
  );
}
