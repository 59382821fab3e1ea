import { isPmapiError, PmapiClient, PmapiError } from '../pmapi';
import { CONTROL_REGISTER, INFO_TRACEPOINTS } from '../scripts/names';
import { bpftraceAgentStatus, describeAgentStatus, PMCD_AGENT_STATUS } from '../scripts/pmdaStatus';
import { deregisterScripts } from '../scripts/protocol';

/** What Save & Test found, one state per thing the user has to do differently. */
export type EndpointState =
  | 'ok'
  | 'pmproxyUnreachable'
  | 'pmcdUnreachable'
  | 'authFailed'
  | 'pmdaMissing'
  | 'pmdaStopped'
  | 'scriptsRefused'
  | 'pmdaOutOfStep'
  | 'unexpected';

export interface EndpointReport {
  state: EndpointState;
  /** One or two sentences: what is wrong and what to do. */
  message: string;
  pcpVersion?: string;
  probeCount?: number;
  /** The user pmcd saw on the context, when basic auth was used. */
  user?: string;
}

/**
 * A name no script can have (the PMDA allows [a-zA-Z0-9_] only): deregistering it asks the PMDA
 * "may I change scripts?" without starting or stopping anything.
 */
const PERMISSION_PROBE = 'bpflive-permission-check';

/**
 * Walks the path a query takes — pmproxy, pmcd, the bpftrace PMDA, the right to register — and
 * stops at the first step that fails, since each later step depends on it.
 */
export async function checkEndpoint(client: PmapiClient): Promise<EndpointReport> {
  const hostspec = client.options.hostspec;
  let user: string | undefined;
  try {
    const context = await client.context();
    user = userOf(context.labels);
  } catch (e) {
    return failure(e, hostspec);
  }

  let pcpVersion: string | undefined;
  let probeCount: number | undefined;
  try {
    const metrics = await client.metrics([CONTROL_REGISTER]);
    if (metrics.length === 0) {
      return await pmdaAbsent(client, hostspec, () => pmdaMissing(hostspec));
    }
    const fetched = await client.fetch(['pmcd.version', INFO_TRACEPOINTS]);
    pcpVersion = stringValue(fetched.values.get('pmcd.version')?.instances[0]?.value);
    const probes = stringValue(fetched.values.get(INFO_TRACEPOINTS)?.instances[0]?.value);
    probeCount = probes ? probes.split(',').filter((p) => p.trim() !== '').length : 0;
  } catch (e) {
    if (isPmapiError(e, 'unknownMetric')) {
      return await pmdaAbsent(client, hostspec, () => pmdaMissing(hostspec));
    }
    if (isPmapiError(e, 'ipcFailure')) {
      // pmcd's answer in the moment its PMDA died (measured): said as such once pmcd knows it.
      return await pmdaAbsent(client, hostspec, () => failure(e, hostspec));
    }
    return failure(e, hostspec);
  }

  try {
    await deregisterScripts(client, [PERMISSION_PROBE]);
  } catch (e) {
    if (isPmapiError(e, 'permissionDenied')) {
      return {
        state: 'scriptsRefused',
        pcpVersion,
        probeCount,
        user,
        message: user
          ? `The bpftrace PMDA on ${hostspec} refuses to run scripts for user "${user}". Add ${user} to allowed_users in the [dynamic_scripts] section of bpftrace.conf and check that enabled = true there, then restart pmcd.`
          : `The bpftrace PMDA on ${hostspec} refuses to run scripts. Either dynamic scripts are disabled (set enabled = true in the [dynamic_scripts] section of bpftrace.conf and restart pmcd), or it requires authentication (turn on Basic auth here with a user listed in allowed_users).`,
      };
    }
    return failure(e, hostspec);
  }

  return {
    state: 'ok',
    pcpVersion,
    probeCount,
    user,
    message:
      `bpftrace PMDA ready on ${hostspec}: PCP ${pcpVersion ?? 'unknown version'}, ` +
      `${probeCount ?? 0} probes on the host${user ? `, scripts run as user ${user}` : ''}.`,
  };
}

function failure(e: unknown, hostspec: string): EndpointReport {
  if (!(e instanceof PmapiError)) {
    return { state: 'unexpected', message: `Unexpected error: ${e instanceof Error ? e.message : String(e)}` };
  }
  switch (e.kind) {
    case 'unreachable':
      return {
        state: 'pmproxyUnreachable',
        message: `Cannot reach pmproxy (${e.message}). Check the URL in these settings and that pmproxy is running and listening there (default port 44322); Grafana's server, not your browser, must be able to reach it.`,
      };
    case 'pmcdUnreachable':
      return {
        state: 'pmcdUnreachable',
        message: `pmproxy answers, but cannot reach pmcd at "${hostspec}" (${e.message}). Check the host specification and that pmcd is running on that host.`,
      };
    case 'authFailed':
      return {
        state: 'authFailed',
        message: `pmcd refused the credentials (${e.message}). Check the Basic auth user and password; the user needs a SASL entry and a local account on the pmcd host.`,
      };
    case 'pmdaOutOfStep':
      return {
        state: 'pmdaOutOfStep',
        message: `The bpftrace PMDA is not responding correctly (${e.message}). Restart pmcd on ${hostspec}.`,
      };
    default:
      return { state: 'unexpected', message: `pmproxy answered with an error: ${e.message}` };
  }
}

/**
 * No bpftrace metrics (or pmcd could not ask the PMDA): the PMDA may be installed and not running
 * (it died, and pmcd restarts PMDAs at most once a minute). pmcd.agent.status tells; installing
 * it again would not help. Otherwise `otherwise` says what it is.
 */
async function pmdaAbsent(
  client: PmapiClient,
  hostspec: string,
  otherwise: () => EndpointReport
): Promise<EndpointReport> {
  let status: number | undefined;
  try {
    status = bpftraceAgentStatus(await client.fetch([PMCD_AGENT_STATUS]));
  } catch {
    // No answer about it: said as not installed, the likelier cause.
  }
  if (status !== undefined && status !== 0) {
    return {
      state: 'pmdaStopped',
      message: `The bpftrace PMDA is installed on ${hostspec} but not running (pmcd says: ${describeAgentStatus(status)}). pmcd starts it again within a minute; if it keeps stopping, its log is /var/log/pcp/pmcd/bpftrace.log on that host.`,
    };
  }
  return otherwise();
}

function pmdaMissing(hostspec: string): EndpointReport {
  return {
    state: 'pmdaMissing',
    message: `pmcd on ${hostspec} has no bpftrace PMDA. Install it (cd /var/lib/pcp/pmdas/bpftrace && ./Install, or scripts/pcp-stack.sh up) and try again.`,
  };
}

function userOf(labels: Record<string, string | number> | undefined): string | undefined {
  const user = labels?.username ?? labels?.userid;
  return user === undefined ? undefined : String(user);
}

function stringValue(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
