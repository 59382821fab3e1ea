import { holderKey } from './holders';

describe('holderKey', () => {
  it('is the same across refreshes of one panel query, different across panels and refIds', () => {
    const a = holderKey({ dashboardUID: 'd1', panelId: 4, app: 'dashboard' }, { refId: 'A' });
    expect(a).toBe(holderKey({ dashboardUID: 'd1', panelId: 4, app: 'dashboard' }, { refId: 'A' }));
    expect(a).not.toBe(holderKey({ dashboardUID: 'd1', panelId: 5, app: 'dashboard' }, { refId: 'A' }));
    expect(a).not.toBe(holderKey({ dashboardUID: 'd1', panelId: 4, app: 'dashboard' }, { refId: 'B' }));
  });

  it('gives Explore (no dashboard, no panel) a stable key of its own', () => {
    expect(holderKey({ app: 'explore' }, { refId: 'A' })).toBe('app:explore/no-panel/A');
  });
});
