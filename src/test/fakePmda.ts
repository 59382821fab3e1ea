/**
 * A small model of pmproxy + the bpftrace PMDA for unit tests of the engine's decisions (joining,
 * releasing, restarts) with several clients at once and a clock the test controls. The reply
 * shapes and behaviours follow what the real stack answers (PCP 6.0.3, bpftrace 0.17; see
 * shared/research/pcp-stack-behaviour.md §2, §3, §11): stores answer once per context on read-back,
 * unknown names are dropped from fetches, `last_accessed_at` moves on reads of a script's metrics
 * but not on reading `scripts_json`, a killed bpftrace shows `error` with a negative exit code.
 * Integration tests never use it: they run against the real stack (tests/integration/).
 */
import { classifyHttpError } from '../pmapi/errors';
import type { PmapiTransport } from '../pmapi/request';
import { BPFTRACE_DOMAIN, PMCD_AGENT_STATUS } from '../scripts/pmdaStatus';

interface FakeScript {
  id: string;
  code: string;
  created: number;
  status: 'starting' | 'started' | 'stopped' | 'error';
  exitCode: number;
  error: string;
  probes: number;
  dataBytes: number;
  counter: number;
  lastAccessed: number;
  /** bpftrace's pid, and the CPU time (ms) it has used: `cpuMsPerPrint` more at each print. */
  pid: number;
  cpuMs: number;
  /** The PMDA's name: its autostart scripts are named by their file. */
  name?: string;
}

/**
 * Two of the host's own metrics, with the descriptors the real stack gives them (a counter
 * without instances, an instant with three), for PCP metric queries beside scripts.
 */
const HOST_METRICS: Record<string, { sem: string; units: string; indom?: string; instances?: string[] }> = {
  'kernel.all.sysfork': { sem: 'counter', units: 'count' },
  'kernel.all.load': { sem: 'instant', units: 'none', indom: '60.2', instances: ['1 minute', '5 minute', '15 minute'] },
};

const RLIMIT = `ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace.`;

export class FakePmda {
  private readonly scripts = new Map<string, FakeScript>();
  private readonly readBacks = new Map<number, string>();
  private nextContext = 1;
  private nextId = 1;
  /** metric name → pmid, stable while the script lives. */
  private readonly pmids = new Map<string, string>();
  private nextPmid = 100;
  down = false;
  /** Stores get no answer (pmproxy crashed just then) while fetches still do. */
  storesDown = false;
  /** Stores refused as pmcd refuses a user not in the PMDA's allowed_users. */
  refuseStores = false;
  /** Stores answered as by a PMDA one reply behind (PCP 6.0.3: 401 "Resource temporarily unavailable"). */
  outOfStepStores = false;
  /** pmcd.agent.status for the PMDA while it runs, when not 0 (pmcd says it is not running). */
  agentStatusWhileRunning = 0;
  /** bpftrace.info.scripts_json answers no value (a PMDA whose manager does not answer its list). */
  listMissing = false;
  /** Deregisters answered with success that leave the script running (a stop that did not take). */
  deregistersLost = 0;
  clock = 0;
  /** kernel.all.sysfork: forks so far (each print adds 3). */
  forks = 0;
  /** While set, a store is answered only once it settles (a PMDA slow to register); counts them. */
  slowStores?: Promise<void>;
  storesWaiting = 0;
  /** CPU time each bpftrace uses per print (ms of one CPU per second): 20 = 2 % of a CPU. */
  cpuMsPerPrint = 20;
  /** Set false for a host without PCP's proc PMDA. */
  procMetrics = true;
  /** The PMDA process died and pmcd has not started it again (pmdaDies, pmdaReturns). */
  private dead?: { contextsBefore: number; frozen: Map<string, string | number> };
  /** Every request, for assertions: client label, path, and the store's metric name. */
  readonly log: Array<{ client: string; path: string; name?: string; value?: string }> = [];

  /** A transport for one client (a browser); `label` tells clients apart in the log. */
  transport(label: string): PmapiTransport {
    return async (path, query, method = 'GET') => {
      const params = Object.fromEntries(new URLSearchParams(query));
      this.log.push({ client: label, path, name: params.name, value: params.value });
      if (this.down || (this.storesDown && path.endsWith('/store'))) {
        throw classifyHttpError(502, 'Bad Gateway');
      }
      if (this.slowStores && path.endsWith('/store')) {
        this.storesWaiting++;
        await this.slowStores;
        this.storesWaiting--;
      }
      const reply = this.answer(path, method, params);
      if (reply.status !== 200) {
        throw classifyHttpError(reply.status, reply.body);
      }
      return reply.body;
    };
  }

  /** bpftrace printed its maps once (every running script counts `events` more). */
  print(events = 10): void {
    for (const s of this.scripts.values()) {
      if (s.status === 'starting') {
        s.status = 'started';
      }
      if (s.status === 'started') {
        s.counter += events;
        s.dataBytes += 20;
        s.cpuMs += this.cpuMsPerPrint;
      }
    }
    this.forks += 3;
  }

  /** A script the PMDA started itself from its autostart directory, named by its file. */
  autostart(name: string, code: string): string {
    this.store(0, 'bpftrace.control.register', code);
    const s = [...this.scripts.values()].pop()!;
    s.name = name;
    this.readBacks.delete(0);
    return s.id;
  }

  kill(id: string, signal = 9): void {
    const s = this.scripts.get(id)!;
    s.status = 'error';
    s.exitCode = -signal;
    s.error = RLIMIT;
  }

  /**
   * The PMDA process dies (as after a kill -9 of it; measured on PCP 6.0.3): its scripts die with
   * it, pmcd.agent.status says so (0x8908: lost contact, exit status 137), new lookups of its
   * names fail, and a context that read a script's metrics before goes on answering their last
   * values.
   */
  pmdaDies(): void {
    const frozen = new Map<string, string | number>();
    for (const name of this.pmids.keys()) {
      if (name.startsWith('bpftrace.scripts.') && this.exists(name)) {
        frozen.set(name, this.read(name, 0));
      }
    }
    this.scripts.clear();
    this.dead = { contextsBefore: this.nextContext, frozen };
  }

  /** pmcd started the PMDA again: it runs, with no scripts. */
  pmdaReturns(): void {
    this.dead = undefined;
  }

  /**
   * The PMDA's expiry (`script_expiry_time`): an unnamed script nobody has read for `afterMs` is
   * stopped and removed. (Named scripts never expire.)
   */
  expireUnread(afterMs: number): void {
    for (const [id, s] of this.scripts) {
      if (!s.name && this.clock - s.lastAccessed >= afterMs) {
        this.scripts.delete(id);
      }
    }
  }

  /** The PMDA restarted: every script is gone. */
  restart(): void {
    this.scripts.clear();
  }

  ids(): string[] {
    return [...this.scripts.keys()];
  }

  running(): FakeScript[] {
    return [...this.scripts.values()].filter((s) => s.status === 'started' || s.status === 'starting');
  }

  script(id: string): FakeScript | undefined {
    return this.scripts.get(id);
  }

  private answer(path: string, method: string, p: Record<string, string>): { status: number; body: string } {
    switch (path) {
      case '/pmapi/context':
        return ok({ context: this.nextContext++ });
      case '/pmapi/metric': {
        const names = p.names.split(',');
        const unknown = names.find((n) => !this.exists(n));
        if (unknown) {
          return {
            status: 400,
            body: JSON.stringify({ message: `${unknown} traversal failed - Unknown metric name`, success: false }),
          };
        }
        return ok({
          metrics: names.map((name) => ({
            name,
            pmid: this.pmidOf(name),
            type: this.typeOf(name),
            sem: HOST_METRICS[name]?.sem ?? 'instant',
            units: HOST_METRICS[name]?.units ?? 'none',
            indom: HOST_METRICS[name]?.indom,
          })),
        });
      }
      case '/pmapi/fetch': {
        const names = p.pmids
          ? p.pmids
              .split(',')
              .map((pmid) => [...this.pmids].find(([, v]) => v === pmid)?.[0])
              .filter((n): n is string => !!n)
          : p.names.split(',');
        const context = Number(p.context);
        const values = names
          .filter((n) => this.exists(n) || this.frozenValue(n, context) !== undefined)
          .map((n) => ({
            pmid: this.pmidOf(n),
            name: n,
            instances: n.startsWith('proc.')
              ? this.procValues(n)
              : n === PMCD_AGENT_STATUS
                ? [
                    { instance: 2, value: 0 },
                    { instance: BPFTRACE_DOMAIN, value: this.dead ? 0x8908 : this.agentStatusWhileRunning },
                  ]
                : this.frozenValue(n, context) !== undefined
                  ? [{ instance: null as number | null, value: this.frozenValue(n, context)! }]
                  : HOST_METRICS[n]?.instances
                    ? HOST_METRICS[n].instances!.map((_, i) => ({ instance: i as number | null, value: i + 0.5 }))
                    : [{ instance: null as number | null, value: this.read(n, context) }],
          }));
        return ok({ context: Number(p.context), timestamp: this.clock / 1000, values });
      }
      case '/pmapi/children':
        return p.prefix === 'kernel.all'
          ? ok({ name: p.prefix, leaf: ['load', 'sysfork'], nonleaf: [] })
          : { status: 400, body: '{"message":"child traversal failed - Unknown metric name","success":false}' };
      case '/pmapi/indom':
        return ok({
          indom: HOST_METRICS[p.name]?.indom,
          instances: (HOST_METRICS[p.name]?.instances ?? []).map((name, instance) => ({ instance, name })),
        });
      case '/control/store':
      case '/viewer-control/store':
        if (method !== 'POST') {
          return { status: 403, body: '{"message":"plugin proxy route access denied"}' };
        }
        if (this.dead) {
          return {
            status: 400,
            body: `{"message":"failed to lookup name ${p.name} - Unknown metric name","success":false}`,
          };
        }
        if (this.outOfStepStores) {
          return { status: 401, body: '{"message":"Resource temporarily unavailable","success":false}' };
        }
        if (this.refuseStores) {
          return {
            status: 400,
            body: `{"message":"failed to store value to metric ${p.name}: No permission to perform requested operation","success":false}`,
          };
        }
        return this.store(Number(p.context), p.name, p.value);
      default:
        return { status: 400, body: '{"message":"unknown path","success":false}' };
    }
  }

  private store(context: number, name: string, value: string) {
    if (name === 'bpftrace.control.register') {
      // As the PMDA's parser: a `// name:` line anywhere names the script; a name in use is refused.
      const named = /^\/\/\s*name\s*:\s*(\w+)\s*$/m.exec(value)?.[1];
      if (named && [...this.scripts.values()].some((s) => s.name === named)) {
        const error = `Script name ${named} is already in use by another script.`;
        this.readBacks.set(
          context,
          JSON.stringify({ ...this.record({ id: 'x', code: value } as FakeScript), state: { status: 'error', error } })
        );
        return { status: 400, body: '{"message":"failed to store value: Bad input to pmstore","success":false}' };
      }
      const id = `s${String(this.nextId++).padStart(4, '0')}`;
      const s: FakeScript = {
        id,
        code: value,
        created: this.clock,
        status: 'starting',
        exitCode: 0,
        error: '',
        probes: 2,
        dataBytes: 0,
        counter: 0,
        lastAccessed: this.clock,
        pid: 1000 + this.nextId,
        cpuMs: 0,
        name: named,
      };
      this.scripts.set(id, s);
      this.readBacks.set(context, JSON.stringify(this.record(s)));
      return ok({ success: true });
    }
    if (name === 'bpftrace.control.deregister') {
      if (this.deregistersLost > 0) {
        this.deregistersLost--;
        this.readBacks.set(context, JSON.stringify({ success: 'true' }));
        return ok({ success: true });
      }
      const found = value.split(',').map((key) => this.byKey(key));
      const missing = found.some((s) => !s);
      found.forEach((s) => s && this.scripts.delete(s.id));
      this.readBacks.set(
        context,
        JSON.stringify(missing ? { error: 'one or more scripts were not found' } : { success: 'true' })
      );
      return missing
        ? { status: 400, body: '{"message":"failed to store value: Bad input to pmstore","success":false}' }
        : ok({ success: true });
    }
    return { status: 400, body: '{"message":"Bad input to pmstore","success":false}' };
  }

  private record(s: FakeScript) {
    return {
      script_id: s.id,
      username: null,
      persistent: false,
      created_at: `2026-12-03T00:00:${String(s.created).padStart(9, '0')}`,
      last_accessed_at: `t${s.lastAccessed}`,
      code: s.code,
      metadata: { name: s.name ?? null, include: null, table_retain_lines: null, custom_output_block: false },
      variables: { '@n': { single: true, semantics: 1, datatype: 3, metrictype: null } },
      state: {
        status: s.status,
        pid: s.pid,
        exit_code: s.exitCode,
        error: s.error,
        probes: s.probes,
        data_bytes: s.dataBytes,
      },
    };
  }

  /** proc.psinfo.* by pid: every script's bpftrace, and pmcd itself (pid 1), as a real host has others. */
  private procValues(name: string): Array<{ instance: number; value: number }> {
    const processes = [{ pid: 1, cpuMs: 5000 }, ...[...this.scripts.values()].filter((s) => s.status !== 'stopped')];
    return processes.map((p) => ({
      instance: p.pid,
      value:
        name === 'proc.psinfo.rss'
          ? 40_000
          : name === 'proc.psinfo.utime'
            ? Math.floor(p.cpuMs / 2)
            : Math.ceil(p.cpuMs / 2),
    }));
  }

  private exists(name: string): boolean {
    if (name.startsWith('proc.psinfo.')) {
      return this.procMetrics;
    }
    if (name === PMCD_AGENT_STATUS) {
      return true;
    }
    if (this.dead && name.startsWith('bpftrace.')) {
      return false;
    }
    if (name === 'bpftrace.info.scripts_json') {
      return !this.listMissing;
    }
    if (name === 'pmcd.pid' || name.startsWith('bpftrace.control.') || name in HOST_METRICS) {
      return true;
    }
    const m = /^bpftrace\.scripts\.(\w+)\./.exec(name);
    return !!m && this.byKey(m[1]) !== undefined;
  }

  /** What a context that read `name` before the PMDA died still answers for it; else undefined. */
  private frozenValue(name: string, context: number): string | number | undefined {
    return this.dead && context < this.dead.contextsBefore ? this.dead.frozen.get(name) : undefined;
  }

  /** As the PMDA's clusters: a named script goes by its name only (metrics, deregister), others by id. */
  private byKey(key: string): FakeScript | undefined {
    const s = this.scripts.get(key) ?? [...this.scripts.values()].find((x) => x.name === key);
    return s && (s.name ?? s.id) === key ? s : undefined;
  }

  private typeOf(name: string): string {
    if (name === PMCD_AGENT_STATUS) {
      return '32';
    }
    return /\.(status|error|code)$|scripts_json|control/.test(name) ? 'string' : 'u64';
  }

  private pmidOf(name: string): string {
    let pmid = this.pmids.get(name);
    if (!pmid) {
      pmid = `151.${this.nextPmid++}.0`;
      this.pmids.set(name, pmid);
    }
    return pmid;
  }

  private read(name: string, context: number): string | number {
    if (name === 'pmcd.pid') {
      return 4242;
    }
    if (name === 'kernel.all.sysfork') {
      return this.forks;
    }
    if (name === 'bpftrace.info.scripts_json') {
      return JSON.stringify([...this.scripts.values()].map((s) => this.record(s)));
    }
    if (name.startsWith('bpftrace.control.')) {
      const answer = this.readBacks.get(context) ?? '{}';
      this.readBacks.delete(context);
      return answer;
    }
    const [, id, leaf] = /^bpftrace\.scripts\.(\w+)\.(.+)$/.exec(name)!;
    const s = this.byKey(id)!;
    s.lastAccessed = this.clock;
    switch (leaf) {
      case 'status':
        return s.status;
      case 'error':
        return s.error || RLIMIT;
      case 'exit_code':
        return s.exitCode;
      case 'probes':
        return s.probes;
      case 'data_bytes':
        return s.dataBytes;
      default:
        return s.counter;
    }
  }
}

function ok(body: unknown) {
  return { status: 200, body: JSON.stringify(body) };
}
