import React from 'react';
import { PanelData } from '@grafana/data';
import { Button } from '@grafana/ui';

import { downloadOf } from '../query/download';

/**
 * "Download folded stacks" under a flame-graph query, "Download CSV" under a table: the data the
 * panel shows now (the selected range), as a file other tools read (query/download.ts). Nothing
 * for other formats. A datasource cannot add items to a panel's menu; Grafana's own Inspect →
 * Data → "Download CSV" writes any frame as CSV, but a flame graph there is its nested set.
 */
export function DownloadButton({ data, refId }: { data: PanelData | undefined; refId: string }) {
  const download = downloadOf(data?.series ?? [], refId);
  if (!download) {
    return null;
  }
  const save = () => {
    const url = URL.createObjectURL(new Blob([download.content()], { type: `${download.mime};charset=utf-8` }));
    const a = document.createElement('a');
    a.href = url;
    a.download = download.filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  };
  return (
    <Button
      size="sm"
      variant="secondary"
      fill="text"
      icon="download-alt"
      data-testid="bpflive-download"
      tooltip={`Save what the panel shows now as ${download.filename.endsWith('.csv') ? 'CSV' : 'folded stacks (flamegraph.pl, speedscope)'}`}
      onClick={save}
    >
      {download.label}
    </Button>
  );
}
