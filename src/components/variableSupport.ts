import { from, map, Observable } from 'rxjs';
import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { DataSource } from '../datasource';
import { BpfliveVariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

/**
 * Dashboard variables whose values come from a bpflive datasource (Grafana's "Query" variable):
 * its own small editor, and the values the datasource reads for it (DataSource.variableValues).
 */
export class BpfliveVariableSupport extends CustomVariableSupport<DataSource, BpfliveVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<BpfliveVariableQuery>): Observable<DataQueryResponse> {
    const query = request.targets[0];
    return from(this.datasource.variableValues(query, request.scopedVars)).pipe(map((values) => ({ data: values })));
  }
}
