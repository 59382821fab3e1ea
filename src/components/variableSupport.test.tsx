import React from 'react';
import { firstValueFrom } from 'rxjs';
import { fireEvent, render, screen } from '@testing-library/react';
import { DataQueryRequest } from '@grafana/data';
import { DataSource } from '../datasource';
import { BpfliveVariableQuery } from '../types';
import { BpfliveVariableSupport } from './variableSupport';
import { VariableQueryEditor } from './VariableQueryEditor';

// Grafana's Combobox measures its text on a canvas; jsdom has none.
beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => ({
    measureText: (text: string) => ({ width: text.length * 7 }),
  })) as unknown as typeof HTMLCanvasElement.prototype.getContext;
});

describe('BpfliveVariableSupport', () => {
  it("answers a variable's query with the values the datasource reads, for the request's scoped variables", async () => {
    const variableValues = jest.fn().mockResolvedValue([{ text: 'bash (42)', value: '42' }]);
    const support = new BpfliveVariableSupport({ variableValues } as unknown as DataSource);
    const query: BpfliveVariableQuery = { refId: 'v', kind: 'processes', hostspec: '$host' };
    const scopedVars = { host: { text: 'db1', value: 'db1' } };
    const response = await firstValueFrom(
      support.query({ targets: [query], scopedVars } as unknown as DataQueryRequest<BpfliveVariableQuery>)
    );
    expect(response.data).toEqual([{ text: 'bash (42)', value: '42' }]);
    expect(variableValues).toHaveBeenCalledWith(query, scopedVars);
  });

  it('a failing lookup fails the variable with its message', async () => {
    const support = new BpfliveVariableSupport({
      variableValues: jest.fn().mockRejectedValue(new Error('The host has no metric x.')),
    } as unknown as DataSource);
    await expect(
      firstValueFrom(support.query({ targets: [{ refId: 'v', kind: 'instances', metric: 'x' }] } as never))
    ).rejects.toThrow('The host has no metric x.');
  });
});

describe('VariableQueryEditor', () => {
  const props = (query: BpfliveVariableQuery, onChange = jest.fn()) =>
    ({ query, onChange, onRunQuery: jest.fn(), datasource: {} as DataSource }) as unknown as React.ComponentProps<
      typeof VariableQueryEditor
    >;

  it('shows the fields the chosen list needs, and saves one when it is left', () => {
    const onChange = jest.fn();
    render(<VariableQueryEditor {...props({ refId: 'v', kind: 'mapKeys' }, onChange)} />);
    expect(screen.getByPlaceholderText('script id or name, or its code')).toBeInTheDocument();
    const map = screen.getByPlaceholderText('@bytes');
    fireEvent.blur(map, { target: { value: '@calls' } });
    expect(onChange).toHaveBeenCalledWith({ refId: 'v', kind: 'mapKeys', map: '@calls' });
    expect(screen.queryByPlaceholderText('kernel.percpu.cpu.user')).toBeNull();
  });

  it('a Hosts list needs no field', () => {
    render(<VariableQueryEditor {...props({ refId: 'v', kind: 'hosts' })} />);
    expect(
      screen
        .queryAllByRole('textbox')
        .filter((t) => t.id.startsWith('bpflive-variable-') && t.id !== 'bpflive-variable-kind')
    ).toHaveLength(0);
  });
});
