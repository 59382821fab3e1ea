import { DataSourceInstanceSettings, DataSourcePlugin } from '@grafana/data';
import { DataSource } from './datasource';
import { CheatSheet } from './components/CheatSheet';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryTypeEditor } from './components/QueryTypeEditor';
import { BpfliveVariableSupport } from './components/variableSupport';
import { BpfliveOptions, BpftraceQuery } from './types';

/** The datasource with its dashboard-variable editor (a component, so it is joined here). */
class BpfliveDataSource extends DataSource {
  constructor(instanceSettings: DataSourceInstanceSettings<BpfliveOptions>) {
    super(instanceSettings);
    this.variables = new BpfliveVariableSupport(this);
  }
}

export const plugin = new DataSourcePlugin<DataSource, BpftraceQuery, BpfliveOptions>(BpfliveDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryTypeEditor)
  // Explore's query help: the same examples as the editor's Examples button.
  .setQueryEditorHelp(CheatSheet);
