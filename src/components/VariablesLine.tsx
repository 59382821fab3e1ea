import React from 'react';
import { Icon, Stack, Text } from '@grafana/ui';
import { Replacement } from '../query/variables';

interface Props {
  replaced: Replacement[];
  /** Why the variables cannot be written into this script (the query fails with it). */
  error?: string;
}

const WHERE: Record<Replacement['where'], string> = {
  code: 'in code',
  string: 'in a string',
  probe: 'in a probe',
  comparison: 'one comparison per value',
  hostspec: 'host',
  filter: 'ad-hoc filter, on every probe but BEGIN/END/interval',
};

/**
 * Under the editor: which dashboard variables the script runs with, and their values now — the
 * code that runs is the script with those written in, so another value is another script.
 */
export function VariablesLine({ replaced, error }: Props) {
  if (!error && replaced.length === 0) {
    return null;
  }
  return (
    <div data-testid="bpflive-variables">
      <Stack direction="row" gap={1} alignItems="center" wrap="wrap">
        <Icon name={error ? 'exclamation-triangle' : 'brackets-curly'} />
        {error ? (
          <Text color="error">{error}</Text>
        ) : (
          <Text variant="bodySmall" color="secondary">
            Runs with{' '}
            {replaced
              .map(
                (r) =>
                  `${r.where === 'filter' ? r.name : `$${r.name}`} = ${r.values.join(', ')} (${WHERE[r.where]}${r.line > 0 ? `, line ${r.line}` : ''})`
              )
              .join('; ')}
          </Text>
        )}
      </Stack>
    </div>
  );
}
