/** Shapes of pmproxy's /pmapi REST answers (PCP 6.x), as far as bpflive reads them. */

export type PcpValue = number | string;

export interface ContextInfo {
  context: number;
  hostspec?: string;
  source?: string;
  labels?: Record<string, string | number>;
}

export interface InstanceValue {
  /** null for a metric without an instance domain. */
  instance: number | null;
  /** null where the client can tell that PCP has no value yet (see fetchValues). */
  value: PcpValue | null;
}

export interface MetricValues {
  pmid: string;
  name: string;
  instances: InstanceValue[];
}

export interface FetchResult {
  /** The sample time in epoch milliseconds (pmproxy's own clock, full nanosecond precision kept to the ms). */
  timestampMs: number;
  /** Keyed by metric name; names pmproxy did not know are absent (it drops them silently). */
  values: Map<string, MetricValues>;
}

export interface MetricMetadata {
  name: string;
  pmid: string;
  indom?: string;
  type: string;
  sem: string;
  units: string;
  labels?: Record<string, string | number | boolean>;
  'text-oneline'?: string;
  'text-help'?: string;
}

export interface IndomInstance {
  instance: number;
  name: string;
  labels?: Record<string, string | number | boolean>;
}

export interface InstanceDomain {
  indom: string;
  instances: IndomInstance[];
  labels?: Record<string, string | number | boolean>;
}

export interface Children {
  name: string;
  leaf: string[];
  nonleaf: string[];
}
