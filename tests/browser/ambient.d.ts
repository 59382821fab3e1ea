/** The host bundle's generated module (build-host.ts depsPlugin): the modules Grafana shares with plugins. */
declare module 'bpflive-host:deps' {
  const deps: Record<string, Record<string, unknown>>;
  export default deps;
}
