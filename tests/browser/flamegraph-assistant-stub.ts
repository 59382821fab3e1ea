/**
 * Stands in for @grafana/assistant in the flame-graph test page. @grafana/flamegraph 13 imports
 * OpenAssistantButton from it (a peer dependency Grafana provides at runtime) and renders it only
 * when the frame carries meta.custom.assistantContext, which bpflive's frames never do.
 */
export function OpenAssistantButton() {
  return null;
}
