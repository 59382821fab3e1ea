import { holderKey } from './holders';

describe('holderKey', () => {
  it('is the same across refreshes of one panel query, different across panels and refIds', () => {
    const a = holderKey({ dashboardUID: 'd1', panelId: 4, app: 'dashboard' }, { refId: 'A' });
    expect(a).toBe(holderKey({ dashboardUID: 'd1', panelId: 4, app: 'dashboard' }, { refId: 'A' }));
    expect(a).not.toBe(holderKey({ dashboardUID: 'd1', panelId: 5, app: 'dashboard' }, { refId: 'A' }));
    expect(a).not.toBe(holderKey({ dashboardUID: 'd1', panelId: 4, app: 'dashboard' }, { refId: 'B' }));
  });

  it('gives each Explore query its own key: two split panes with query A do not share one', () => {
    const left = holderKey({ app: 'explore' }, { refId: 'A', key: 'Q-left-0' });
    const right = holderKey({ app: 'explore' }, { refId: 'A', key: 'Q-right-0' });
    expect(left).not.toBe(right);
    expect(left).toBe(holderKey({ app: 'explore', panelId: 7 }, { refId: 'A', key: 'Q-left-0' }));
  });

  it('gives Explore without query keys (older Grafana) a stable key of its own', () => {
    expect(holderKey({ app: 'explore' }, { refId: 'A' })).toBe('app:explore/no-panel/A');
  });
});
