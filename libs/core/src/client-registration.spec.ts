import { CIMD_DOMAIN_PATTERN, DEFAULT_CLIENT_REGISTRATION, metadataDocumentHostAllowed } from './client-registration';

describe('client registration policy (docs/resources.md#client-registration)', () => {
  it('defaults: dynamic registration off, metadata documents from any host', () => {
    expect(DEFAULT_CLIENT_REGISTRATION).toEqual({
      dynamic_client_registration: { enabled: false, confidential_clients: false },
      client_id_metadata_documents: { policy: 'any', domains: [] },
    });
    expect(metadataDocumentHostAllowed(DEFAULT_CLIENT_REGISTRATION.client_id_metadata_documents, 'x.test')).toBe(true);
  });

  it('off refuses every host; domains allows exact names and the subdomains of a wildcard', () => {
    const off = { policy: 'off' as const, domains: ['agents.example'] };
    expect(metadataDocumentHostAllowed(off, 'agents.example')).toBe(false);
    const some = { policy: 'domains' as const, domains: ['agents.example', '*.clients.example'] };
    expect(metadataDocumentHostAllowed(some, 'agents.example')).toBe(true);
    expect(metadataDocumentHostAllowed(some, 'a.agents.example')).toBe(false);
    expect(metadataDocumentHostAllowed(some, 'app.clients.example')).toBe(true);
    expect(metadataDocumentHostAllowed(some, 'a.b.clients.example')).toBe(true);
    expect(metadataDocumentHostAllowed(some, 'clients.example')).toBe(false);
    expect(metadataDocumentHostAllowed(some, 'evilclients.example')).toBe(false);
    expect(metadataDocumentHostAllowed({ policy: 'domains', domains: [] }, 'agents.example')).toBe(false);
  });

  it.each(['agents.example', '*.example.com', 'a-b.c1.example', 'xn--bcher-kva.example'])('domain %s is valid', (d) =>
    expect(CIMD_DOMAIN_PATTERN.test(d)).toBe(true),
  );
  it.each([
    'example',
    'Agents.example',
    '*.com.',
    '*example.com',
    'a..b',
    '-a.example',
    'a.example/',
    '**.a.example',
    '127.0.0.1:80',
  ])('domain %s is refused', (d) => expect(CIMD_DOMAIN_PATTERN.test(d)).toBe(false));
});
