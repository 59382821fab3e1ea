import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  TestDataSourceResponse,
} from '@grafana/data';
import { checkEndpoint } from './health/checkEndpoint';
import { backendSrvTransport, PmapiClient } from './pmapi';
import { endpointSettings, EndpointSettings } from './settings/settings';
import { BpfliveOptions, BpftraceQuery, DEFAULT_QUERY } from './types';

export class DataSource extends DataSourceApi<BpftraceQuery, BpfliveOptions> {
  readonly settings: EndpointSettings;
  /** Grafana's proxy path for this datasource (access mode proxy), not pmproxy's own URL. */
  private readonly url: string;

  constructor(instanceSettings: DataSourceInstanceSettings<BpfliveOptions>) {
    super(instanceSettings);
    this.url = instanceSettings.url ?? '';
    this.settings = endpointSettings(instanceSettings.jsonData);
  }

  getDefaultQuery(_: CoreApp): Partial<BpftraceQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: BpftraceQuery): boolean {
    return !query.hide && !!query.code?.trim();
  }

  /** A client with its own context, so a check never disturbs the contexts of live panels. */
  newClient(): PmapiClient {
    return new PmapiClient(backendSrvTransport(this.url), {
      hostspec: this.settings.hostspec,
      polltimeoutSec: Math.max(30, Math.ceil((this.settings.pollIntervalMs * 10) / 1000)),
    });
  }

  async query(request: DataQueryRequest<BpftraceQuery>): Promise<DataQueryResponse> {
    return {
      data: [],
      errors: request.targets.map((t) => ({
        refId: t.refId,
        message: 'Live bpftrace queries are not available in this build of bpflive yet.',
      })),
    };
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    const report = await checkEndpoint(this.newClient());
    return {
      status: report.state === 'ok' ? 'success' : 'error',
      message: report.message,
      details: { message: `state: ${report.state}` },
    };
  }
}
