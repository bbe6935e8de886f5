import { consentNotices } from '@gatehouse/oauth';
import { DEFAULT_BRANDING } from '../branding';
import { pageText } from '../page-text';
import { consentPage } from './pages';

const client = {
  clientId: 'https://agent.example/client.json',
  name: '<b>Totally Official</b>',
  logoUri: null,
  clientUri: null,
  policyUri: null,
  tosUri: null,
  redirectHost: '127.0.0.1:33418',
  orgName: 'Acme',
};
const selfRegistered = (allRedirectsLoopback: boolean) => ({
  name: client.name,
  selfRegistered: {
    source: 'metadata_document' as const,
    redirectHosts: allRedirectsLoopback ? ['127.0.0.1:33418'] : ['agent.example'],
    allRedirectsLoopback,
    documentHash: null,
  },
});
const render = (notices: ReturnType<typeof consentNotices>) =>
  consentPage(
    { text: pageText('en'), branding: DEFAULT_BRANDING, csrf: 'c', requestId: 'req_test' },
    { page: 'consent', client, scopes: ['notes:read'], resource: 'https://mcp.example/mcp', notices },
  );

describe('the consent page (docs/client-registration.md#consent)', () => {
  it('shows a self-registered client’s redirect host first, then the loopback warning, then the unverified name', () => {
    const out = render(consentNotices(selfRegistered(true)));
    const at = (n: string) => out.indexOf(`data-notice="${n}"`);
    expect(at('redirect_host')).toBeGreaterThan(0);
    expect(at('redirect_host')).toBeLessThan(at('all_loopback'));
    expect(at('all_loopback')).toBeLessThan(at('unverified_name'));
    expect(out).toContain('Your authorization will be sent to 127.0.0.1:33418');
    expect(out).toMatch(/class="warning" role="alert" data-notice="all_loopback"/);
    // The self-declared name is text, never markup.
    expect(out).not.toContain('<b>Totally Official</b>');
    expect(out).toContain('&lt;b&gt;Totally Official&lt;/b&gt;');
  });

  it('warns about loopback only when every redirect URI is loopback', () => {
    const out = render(consentNotices(selfRegistered(false)));
    expect(out).toContain('Your authorization will be sent to agent.example');
    expect(out).not.toContain('data-notice="all_loopback"');
  });

  it('shows no notice for a registered app', () => {
    expect(render(consentNotices({ name: 'Notes' }))).not.toContain('data-notice=');
  });
});
