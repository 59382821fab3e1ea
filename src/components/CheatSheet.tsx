import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, QueryEditorHelpProps } from '@grafana/data';
import { Button, Stack, Text, useStyles2 } from '@grafana/ui';
import { EXAMPLE_TASKS, EXAMPLES } from '../language/examples';
import { BpftraceQuery } from '../types';

type Props = Pick<QueryEditorHelpProps<BpftraceQuery>, 'onClickExample' | 'query'>;

/**
 * The query help: runnable examples by task. Clicking one hands over a complete query (code and
 * the format that shows it best), so Explore's help and the editor's Examples button insert the
 * same thing; the editor puts it in as text to run, Explore runs it as its help does.
 */
export function CheatSheet({ onClickExample, query }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div data-testid="bpflive-cheat-sheet" className={styles.sheet}>
      <Text element="p" color="secondary">
        bpftrace runs as root on the host: an example goes into the editor, and runs when you run it. Variables: write{' '}
        <code>$name</code> for a dashboard variable (numbers and names in code, any text inside quotes; several values
        as <code>pid == $pid</code>).
      </Text>
      {EXAMPLE_TASKS.map((task) => (
        <div key={task}>
          <Text element="h6">{task}</Text>
          <div className={styles.grid}>
            {EXAMPLES.filter((e) => e.task === task).map((e) => (
              <div key={e.id} className={styles.card}>
                <Stack direction="row" justifyContent="space-between" alignItems="center">
                  <Text weight="medium">{e.title}</Text>
                  <Button
                    size="sm"
                    variant="secondary"
                    icon="plus"
                    data-testid={`bpflive-example-${e.id}`}
                    onClick={() =>
                      onClickExample({
                        ...query,
                        refId: query?.refId ?? 'A',
                        code: e.code,
                        format: e.format ?? 'auto',
                        map: undefined,
                      })
                    }
                  >
                    Use
                  </Button>
                </Stack>
                <Text element="p" variant="bodySmall" color="secondary">
                  {e.description}
                </Text>
                <pre className={styles.code}>{e.code}</pre>
              </div>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  sheet: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  grid: css({ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))', gap: theme.spacing(1) }),
  card: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1),
  }),
  code: css({ fontSize: theme.typography.bodySmall.fontSize, margin: 0, whiteSpace: 'pre-wrap' }),
});
