import { dataMetric, scriptMetric } from '../../src/scripts/names';
import { deregisterScripts, registerScript, ScriptRejectedError } from '../../src/scripts/protocol';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { adminClient } from './leaks';
import { bpftracePids, PMPROXY, stackUp, waitFor } from './stack';

// The real pmproxy + pmcd + bpftrace PMDA + bpftrace; no mock anywhere.
beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

const newClient = () => adminClient();

describe('src/pmapi against the real stack', () => {
  it('registers a script, reads it back, fetches its values and deregisters it', async () => {
    const client = newClient();
    const record = await registerScript(client, 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }');
    expect(record.script_id).toMatch(/^s[0-9a-f]+$/);
    expect(Object.keys(record.variables)).toEqual(['@syscalls']);
    expect(['starting', 'started']).toContain(record.state.status);

    const dataName = dataMetric(record.script_id, '@syscalls');
    const statusName = scriptMetric(record.script_id, 'status');
    const [meta] = await client.metrics([dataName]);
    expect(meta).toMatchObject({ name: dataName, type: 'u64', sem: 'counter' });

    // Values arrive with bpftrace's first print, about a second after start.
    const first = await waitFor('a syscall count', async () => {
      const r = await client.fetch([dataName, statusName]);
      const v = r.values.get(dataName)?.instances[0]?.value;
      return typeof v === 'number' && v > 0 ? r : undefined;
    });
    expect(first.values.get(statusName)?.instances[0].value).toBe('started');
    expect(Math.abs(first.timestampMs - Date.now())).toBeLessThan(10_000);

    const later = await waitFor('the count to grow', async () => {
      const r = await client.fetch([dataName]);
      return (r.values.get(dataName)!.instances[0].value as number) >
        (first.values.get(dataName)!.instances[0].value as number)
        ? r
        : undefined;
    });
    expect(later.timestampMs).toBeGreaterThan(first.timestampMs);
    // The script's own bpftrace process (other tests' processes may come and go meanwhile).
    const pidName = scriptMetric(record.script_id, 'pid');
    const pid = (await client.fetch([pidName])).values.get(pidName)?.instances[0].value as number;
    expect(bpftracePids()).toContain(pid);

    await expect(deregisterScripts(client, [record.script_id])).resolves.toEqual({ notFound: false });
    await waitFor('the bpftrace process to exit', () => !bpftracePids().includes(pid));
    // A fresh client (new context) no longer sees the metric.
    const after = await newClient().fetch([dataName]);
    expect(after.values.has(dataName)).toBe(false);
    await expect(newClient().metrics([dataName])).rejects.toMatchObject({ kind: 'unknownMetric' });
  });

  it('hands back the PMDA reason for a rejected script', async () => {
    const client = newClient();
    const rejected = registerScript(client, 'tracepoint:raw_syscalls:sys_enter { }');
    await expect(rejected).rejects.toBeInstanceOf(ScriptRejectedError);
    await expect(rejected).rejects.toThrow(/no bpftrace variables or printf statements/);
  });

  it('reports a bpftrace syntax error through the script status', async () => {
    const client = newClient();
    const record = await registerScript(client, 'tracepoint:raw_syscalls:sys_enter { @x = count(); }}');
    const statusName = scriptMetric(record.script_id, 'status');
    const errorName = scriptMetric(record.script_id, 'error');
    const r = await waitFor('status error', async () => {
      const f = await client.fetch([statusName, errorName]);
      return f.values.get(statusName)?.instances[0].value === 'error' ? f : undefined;
    });
    expect(r.values.get(errorName)?.instances[0].value).toMatch(/stdin:1:\d+-\d+: ERROR: syntax error/);
    await deregisterScripts(client, [record.script_id]);
  });

  it('says a deregister of an unknown script found nothing', async () => {
    await expect(deregisterScripts(newClient(), ['no_such_script_here'])).resolves.toEqual({ notFound: true });
  });

  it('renews a context that pmproxy forgot and carries on', async () => {
    const client = newClient();
    await client.fetch(['pmcd.version']);
    const generation = client.contextGeneration;
    // Simulate expiry: a context id pmproxy never issued.
    (client as unknown as { resolvedContext: { context: number } }).resolvedContext.context = 1;
    (client as unknown as { contextPromise: Promise<unknown> }).contextPromise = Promise.resolve({ context: 1 });
    const r = await client.fetch(['pmcd.version']);
    expect(typeof r.values.get('pmcd.version')?.instances[0].value).toBe('string');
    expect(client.contextGeneration).toBe(generation + 1);
  });

  it('reads instance domains, children and metric labels', async () => {
    const client = newClient();
    const record = await registerScript(client, 'tracepoint:raw_syscalls:sys_enter { @bycomm[comm] = count(); }');
    try {
      const name = dataMetric(record.script_id, '@bycomm');
      const fetched = await waitFor('instances', async () => {
        const f = await client.fetch([name]);
        return (f.values.get(name)?.instances.length ?? 0) > 0 ? f : undefined;
      });
      const indom = await client.indom(name);
      const ids = new Set(indom.instances.map((i) => i.instance));
      expect(fetched.values.get(name)!.instances.every((i) => ids.has(i.instance!))).toBe(true);
      expect(indom.instances.map((i) => i.name)).toContain('bpftrace');
      const children = await client.children(`bpftrace.scripts.${record.script_id}`);
      expect(children.leaf).toEqual(expect.arrayContaining(['status', 'pid', 'error', 'probes']));
      expect(children.nonleaf).toContain('data');
    } finally {
      await deregisterScripts(client, [record.script_id]);
    }
  });
});
