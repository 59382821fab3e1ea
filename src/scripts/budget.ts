import { PMPROXY_MAX_URL } from '../pmapi/limits';

/**
 * How much of pmproxy's URL limit a script takes. The script travels URL-encoded in the `value=`
 * of one store request; the rest of that URL (path, context, metric name) takes about 100
 * characters, so 200 are left for it. The editor shows this figure while the user types
 * (language/lints.ts), the engine refuses a script over it before sending (engine/Endpoint.ts),
 * and the sample dashboards are held to it (tests/unit/dashboardBudget.test.ts).
 */
export const MAX_ENCODED_SCRIPT = PMPROXY_MAX_URL - 200;

export interface UrlBudget {
  /** Length of the script as sent (comments stripped, bpflive's lines added), URL-encoded. */
  encoded: number;
  max: number;
  ratio: number;
}

/** A UTF-16 surrogate without its pair: encodeURIComponent throws on it. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * The budget of a prepared text (scripts/naming.ts prepareScript().text). Never throws: a lone
 * surrogate (which the engine refuses with its own message) counts as the replacement character
 * it would become, so the editor's figure stays right while the user types.
 */
export function budgetOf(sentText: string, max = MAX_ENCODED_SCRIPT): UrlBudget {
  const encoded = encodeURIComponent(sentText.replace(LONE_SURROGATES, '\uFFFD')).length;
  return { encoded, max, ratio: encoded / max };
}
