import { DataQueryRequest } from '@grafana/data';
import { BpftraceQuery } from '../types';

/**
 * Who holds a script: one key per dashboard panel query. It must stay the same across refreshes,
 * time-range changes and re-renders (requestId changes on each of those). Explore has no panel:
 * there every query of every pane carries its own `key` (Explore makes one per query row, and a
 * split pane gets new ones), so two panes that run the same query hold the script each for
 * itself, and a pane that changes its code never takes the other pane's script away.
 */
export function holderKey(
  request: Pick<DataQueryRequest, 'dashboardUID' | 'panelId' | 'app'>,
  query: Pick<BpftraceQuery, 'refId' | 'key'>
): string {
  if (request.app === 'explore' && query.key) {
    return `app:explore/${query.key}/${query.refId}`;
  }
  const where = request.dashboardUID ?? `app:${request.app ?? 'unknown'}`;
  const panel = request.panelId ?? 'no-panel';
  return `${where}/${panel}/${query.refId}`;
}
