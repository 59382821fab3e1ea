import { DataQueryRequest } from '@grafana/data';
import { BpftraceQuery } from '../types';

/**
 * Who holds a script: one key per dashboard panel query. It must stay the same across refreshes,
 * time-range changes and re-renders (requestId changes on each of those); Explore has no panel,
 * so its app name stands in.
 */
export function holderKey(
  request: Pick<DataQueryRequest, 'dashboardUID' | 'panelId' | 'app'>,
  query: Pick<BpftraceQuery, 'refId'>
): string {
  const where = request.dashboardUID ?? `app:${request.app ?? 'unknown'}`;
  const panel = request.panelId ?? 'no-panel';
  return `${where}/${panel}/${query.refId}`;
}
