import { consentNeeded, consentNotices } from './consent-notices';

describe('consent notices and consent decisions (docs/client-registration.md#consent)', () => {
  const self = (allRedirectsLoopback: boolean) => ({
    name: 'Notes agent',
    selfRegistered: {
      source: 'metadata_document' as const,
      redirectHosts: ['127.0.0.1:33418'],
      allRedirectsLoopback,
      documentHash: null,
    },
  });

  it('shows the redirect host first, warns when every redirect is loopback, and marks the name as claimed', () => {
    expect(consentNotices(self(true))).toEqual([
      { code: 'redirect_host', hosts: ['127.0.0.1:33418'] },
      { code: 'all_loopback' },
      { code: 'unverified_name', name: 'Notes agent' },
    ]);
    expect(consentNotices(self(false)).map((n) => n.code)).toEqual(['redirect_host', 'unverified_name']);
    expect(consentNotices({ name: 'Billing' })).toEqual([]);
  });

  const granted = { scopes: ['notes:read', 'offline_access'], resources: ['https://mcp.example/mcp'] };
  const requested = { scopes: ['notes:read'], resource: 'https://mcp.example/mcp' };

  it('prompt=consent always shows consent, even for a first-party app that was granted everything', () => {
    expect(consentNeeded({ prompt: ['consent'], consentMode: 'first_party', requested, granted })).toBe(true);
    expect(consentNeeded({ prompt: ['login', 'consent'], consentMode: 'required', requested, granted })).toBe(true);
  });

  it('asks again for a first grant or anything beyond what was granted, not for a repeat', () => {
    expect(consentNeeded({ prompt: [], consentMode: 'required', requested, granted: null })).toBe(true);
    expect(consentNeeded({ prompt: [], consentMode: 'required', requested, granted })).toBe(false);
    expect(
      consentNeeded({
        prompt: [],
        consentMode: 'required',
        requested: { ...requested, scopes: ['notes:write'] },
        granted,
      }),
    ).toBe(true);
    expect(
      consentNeeded({
        prompt: [],
        consentMode: 'required',
        requested: { ...requested, resource: 'https://other/' },
        granted,
      }),
    ).toBe(true);
    expect(consentNeeded({ prompt: [], consentMode: 'first_party', requested, granted: null })).toBe(false);
  });
});
