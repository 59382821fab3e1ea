import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { DataSourceSettings } from '@grafana/data';
import { BpfliveOptions } from '../types';
import { ConfigEditor } from './ConfigEditor';

function settings(
  over: Partial<DataSourceSettings<BpfliveOptions>> = {},
  jsonData: BpfliveOptions = {}
): DataSourceSettings<BpfliveOptions> {
  return {
    id: 1,
    uid: 'bpflive',
    orgId: 1,
    name: 'bpftrace',
    type: 'bpflive-bpftrace-datasource',
    typeName: 'bpftrace (bpflive)',
    typeLogoUrl: '',
    access: 'proxy',
    url: 'http://localhost:44322',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData,
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    ...over,
  } as DataSourceSettings<BpfliveOptions>;
}

function setup(over: Partial<DataSourceSettings<BpfliveOptions>> = {}, jsonData: BpfliveOptions = {}) {
  const onOptionsChange = jest.fn();
  const view = render(<ConfigEditor options={settings(over, jsonData)} onOptionsChange={onOptionsChange} />);
  return { onOptionsChange, view };
}

describe('ConfigEditor', () => {
  it('refuses Browser (direct) access, says why, and switches to Server access', () => {
    const { onOptionsChange } = setup({ access: 'direct' });
    expect(screen.getByText('Browser access is refused')).toBeInTheDocument();
    expect(screen.getByText(/CORS answer does not allow the Authorization/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Use Server (proxy) access' }));
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ access: 'proxy' }));
  });

  it('shows no access alert for Server (proxy) access', () => {
    setup();
    expect(screen.queryByText('Browser access is refused')).toBeNull();
  });

  it('asks for authentication when basic auth is off, and says where the password lives when on', () => {
    const { view } = setup();
    expect(screen.getByTestId('bpflive-auth-note')).toHaveTextContent(/Turn Basic auth on/);
    expect(screen.getByTestId('bpflive-auth-note')).toHaveTextContent(/secure storage/);
    view.rerender(
      <ConfigEditor options={settings({ basicAuth: true, basicAuthUser: 'grafana' })} onOptionsChange={jest.fn()} />
    );
    expect(screen.getByTestId('bpflive-auth-note')).toHaveTextContent(/Authentication is on/);
    expect(screen.getByTestId('bpflive-auth-note')).toHaveTextContent(/browser never receives it/);
  });

  it('keeps Viewers from starting scripts by default, and states the risk next to the switch', () => {
    const { onOptionsChange } = setup({}, { hostspec: 'db1' });
    const toggle = document.getElementById('bpflive-allow-viewers') as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    expect(screen.getByText(/arbitrary code running as root/)).toBeInTheDocument();
    expect(screen.getByText(/unless every Viewer is trusted with root/)).toBeInTheDocument();
    expect(screen.getByText(/Viewers still see the scripts/)).toBeInTheDocument();
    expect(screen.queryByText('Viewers can run root code on the target host')).toBeNull();
    fireEvent.click(toggle);
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: { hostspec: 'db1', allowViewersToRun: true } })
    );
  });

  it('warns while Viewers may start scripts, and when the flag is not a boolean', () => {
    const { view } = setup({}, { allowViewersToRun: true });
    expect((document.getElementById('bpflive-allow-viewers') as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText('Viewers can run root code on the target host')).toBeInTheDocument();
    view.rerender(
      <ConfigEditor
        options={settings({}, { allowViewersToRun: 'false' as unknown as boolean })}
        onOptionsChange={jest.fn()}
      />
    );
    expect(screen.getByText(/is not stored as true or false/)).toBeInTheDocument();
    expect(screen.getByText(/treats any non-empty value as on/)).toBeInTheDocument();
  });

  it('edits max scripts and refuses values outside 1..500', () => {
    const { onOptionsChange, view } = setup();
    const input = document.getElementById('bpflive-max-scripts') as HTMLInputElement;
    expect(input.placeholder).toBe('50');
    fireEvent.change(input, { target: { value: '20' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { maxScripts: 20 } }));
    // Controlled: show the stored 20, then clear it back to the default.
    view.rerender(<ConfigEditor options={settings({}, { maxScripts: 20 })} onOptionsChange={onOptionsChange} />);
    fireEvent.change(input, { target: { value: '' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { maxScripts: undefined } }));
    view.rerender(<ConfigEditor options={settings({}, { maxScripts: 900 })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText(/whole number from 1 to 500/)).toBeInTheDocument();
  });

  it('refuses a poll interval above 20 s and explains the PMDA expiry', () => {
    setup({}, { pollIntervalSec: 60 });
    expect(screen.getByText(/script_expiry_time \(60 s by default\)/)).toBeInTheDocument();
    expect((document.getElementById('bpflive-poll-interval') as HTMLInputElement).max).toBe('20');
  });
});
