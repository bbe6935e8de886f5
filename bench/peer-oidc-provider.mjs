// The peer in `npm run bench`: node-oidc-provider (panva/node-oidc-provider, a devDependency),
// configured like for like with Gatehouse's client-credentials path: one confidential client
// (client_secret_basic), RS256 RFC 9068 `at+jwt` access tokens for one resource (resource
// indicators, RFC 8707), 600 s lifetime, one scope. Its defaults otherwise: the in-memory
// adapter, no audit trail, no rate limit — it does less per token than Gatehouse.
//
// Started by bench/token-bench.mjs as a child process (one process, one core, like Gatehouse
// with one worker); reports its port and a seeded refresh token pool over IPC.
//
// Other endpoints, for the side-by-side figures of docs/performance.md:
// - JWKS: GET /jwks;
// - refresh_token grant (rotating, like Gatehouse's): the peer issues refresh tokens only
//   through the authorization-code flow, so the bench seeds them through its models (Grant +
//   RefreshToken), as an authorization would;
// - introspection: node-oidc-provider refuses to introspect its own JWT access tokens
//   (lib/shared/reject_structured_tokens.js), so it introspects its opaque access tokens
//   (client credentials without a resource: an in-memory lookup) — cheaper than Gatehouse's,
//   which verifies a JWT and checks revocation.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT);
const ISSUER = `http://127.0.0.1:${PORT}`;
const RESOURCE = 'https://api.bench.example';
const SCOPE = 'bench:read';
const CLIENT = { client_id: 'bench', client_secret: 'bench-secret-0123456789abcdef0123456789abcdef' };
const SEEDED_REFRESH_TOKENS = Number(process.env.PEER_REFRESH_TOKENS ?? 64);

const stores = new Map();
/** node-oidc-provider's adapter interface over plain Maps (lib/adapters/memory_adapter.js, unbounded). */
class MapAdapter {
  constructor(model) {
    this.model = model;
    if (!stores.has(model)) stores.set(model, new Map());
    this.store = stores.get(model);
  }
  key(id) {
    return id;
  }
  async upsert(id, payload, expiresIn) {
    this.store.set(id, { payload, until: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      const grants = stores.get('grant-index') ?? new Map();
      stores.set('grant-index', grants);
      if (!grants.has(payload.grantId)) grants.set(payload.grantId, []);
      grants.get(payload.grantId).push([this.model, id]);
    }
    if (payload.uid) stores.set(`uid:${payload.uid}`, id);
    if (payload.userCode) stores.set(`userCode:${payload.userCode}`, id);
  }
  async find(id) {
    const e = this.store.get(id);
    if (!e || e.until < Date.now()) return undefined;
    return e.payload;
  }
  async findByUid(uid) {
    return this.find(stores.get(`uid:${uid}`));
  }
  async findByUserCode(code) {
    return this.find(stores.get(`userCode:${code}`));
  }
  async consume(id) {
    const e = this.store.get(id);
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    this.store.delete(id);
  }
  async revokeByGrantId(grantId) {
    for (const [model, id] of stores.get('grant-index')?.get(grantId) ?? []) stores.get(model)?.delete(id);
  }
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'peer-bench' };

const provider = new Provider(ISSUER, {
  adapter: MapAdapter,
  clients: [
    {
      ...CLIENT,
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      redirect_uris: ['https://rp.bench.example/cb'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: `${SCOPE} offline_access`,
    },
  ],
  jwks: { keys: [jwk] },
  scopes: [SCOPE, 'offline_access'],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  rotateRefreshToken: true,
  ttl: { ClientCredentials: 600, AccessToken: 600, RefreshToken: 30 * 24 * 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No `resource` parameter: an opaque token (the introspection measurement); with it, a JWT.
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: SCOPE,
        audience: RESOURCE,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.on('server_error', (_ctx, err) => console.error('peer server_error', err));

async function seedRefreshTokens(n) {
  const client = await provider.Client.find(CLIENT.client_id);
  const tokens = [];
  for (let i = 0; i < n; i++) {
    const accountId = `user-${i}`;
    const grant = new provider.Grant({ accountId, clientId: CLIENT.client_id });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(RESOURCE, SCOPE);
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      client,
      accountId,
      grantId,
      gty: 'authorization_code',
      scope: 'offline_access',
      resource: RESOURCE,
      rotations: 0,
    });
    tokens.push(await rt.save());
  }
  return tokens;
}

const server = provider.listen(PORT, '127.0.0.1');
server.on('listening', async () => {
  const refreshTokens = await seedRefreshTokens(SEEDED_REFRESH_TOKENS);
  process.send?.({ ready: true, issuer: ISSUER, resource: RESOURCE, scope: SCOPE, client: CLIENT, refreshTokens });
});
process.on('SIGINT', () => server.close(() => process.exit(0)));
