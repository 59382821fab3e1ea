import { DataSourcePlugin } from '@grafana/data';
import { DataSource } from './datasource';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { BpfliveOptions, BpftraceQuery } from './types';

export const plugin = new DataSourcePlugin<DataSource, BpftraceQuery, BpfliveOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
