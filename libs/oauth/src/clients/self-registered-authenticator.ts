import { Inject, Injectable } from '@nestjs/common';
import { RefusalAudit } from '@gatehouse/audit';
import {
  GATEHOUSE_CONFIG,
  InvalidClient,
  InvalidRequest,
  isId,
  JWT_BEARER_CLIENT_ASSERTION,
  type GatehouseConfig,
} from '@gatehouse/core';
import { ClientAuthenticator, type AuthenticatedClient } from '../client-authenticator';
import type { TokenRequest } from '../grant';
import { AssertionRefused, ClientAssertions, type ClaimedAssertion } from './client-assertion';
import { isUrlClientId } from './client-id-url';
import { ClientRefused } from './client-refused';
import { ClientResolver } from './client-resolver';
import { SELF_REGISTERED_TOKEN_RATE } from './self-registered-client-record';

/**
 * Client authentication for Client ID Metadata Document (`https://…`) and dynamically
 * registered (`dcr_…`) clients at the token, revocation and introspection endpoints
 * (docs/client-registration.md#at-the-token-endpoint). Such a client is admitted per
 * organization, so it authenticates for one: the organization of the code, refresh token or
 * access token the request carries, with that organization's policy and blocks applied again.
 * It proves itself with what it registered: nothing (`none`, a public client naming itself), a
 * secret Gatehouse issued (a confidential dynamic client, compared as a keyed hash), or a
 * `private_key_jwt` assertion (RFC 7523 §2.2) signed by a key of its `jwks` or `jwks_uri` —
 * the same checks as an app's (clients/client-assertion.ts). Every refusal is `invalid_client`.
 */
@Injectable()
export class SelfRegisteredAuthenticator {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly resolver: ClientResolver,
    private readonly assertions: ClientAssertions,
    private readonly refusals: RefusalAudit,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  /**
   * The self-registered client a request names — by its assertion's `sub`, a Basic header or
   * `client_id` — or null when it names an app or nothing (the app path then answers).
   */
  claimedId(req: TokenRequest): string | null {
    let id: string | undefined;
    const assertion = req.params.get('client_assertion');
    if (assertion !== undefined) {
      try {
        id = this.assertions.claim(assertion).clientId;
      } catch {
        return null; // refused on the app path, with its audit row
      }
    } else {
      id = this.clients.claimed(req).clientId;
    }
    return id !== undefined && this.isSelfRegistered(id) ? id : null;
  }

  /** A metadata-document URL or a `dcr_…` id. */
  isSelfRegistered(clientId: string): boolean {
    return isId('dynamicClient', clientId) || isUrlClientId(clientId);
  }

  /** `clientId` (from {@link claimedId}) authenticated for `orgId`, counted against its token rate unless told not to. */
  async authenticate(
    req: TokenRequest,
    clientId: string,
    orgId: string,
    opts: { countTokenRate?: boolean } = {},
  ): Promise<AuthenticatedClient> {
    const headers: Record<string, string> = req.authorization ? { 'WWW-Authenticate': 'Basic realm="gatehouse"' } : {};
    let client: AuthenticatedClient;
    try {
      client =
        req.params.has('client_assertion') || req.params.has('client_assertion_type')
          ? await this.byAssertion(req, clientId, orgId)
          : await this.resolver.tokenClient(clientId, orgId, req.meta, this.clients.claimed(req).secret);
    } catch (err) {
      if (err instanceof ClientRefused) throw new InvalidClient(err.message, { detail: err.code, headers });
      throw err;
    }
    if (opts.countTokenRate !== false)
      await this.clients.enforceTokenRate(req, {
        id: client.id,
        orgId: client.orgId,
        tokenRateLimit: SELF_REGISTERED_TOKEN_RATE,
      });
    return client;
  }

  /** RFC 7521 §4.2 / RFC 7523 §2.2, as for an app (ClientAuthenticator): one method, `sub` = the client. */
  private async byAssertion(req: TokenRequest, clientId: string, orgId: string): Promise<AuthenticatedClient> {
    if (req.authorization !== undefined || req.params.has('client_secret')) {
      throw new InvalidRequest('Use exactly one client authentication method.');
    }
    const type = req.params.get('client_assertion_type');
    const assertion = req.params.get('client_assertion');
    if (type === undefined || assertion === undefined) {
      throw new InvalidRequest('client_assertion and client_assertion_type go together.');
    }
    const refuse = async (reason: string) => {
      await this.refusals.clientAuthenticationFailed(req.meta, { clientId, orgId, method: 'private_key_jwt', reason });
      return new InvalidClient('Client authentication failed.', { detail: reason });
    };
    if (type !== JWT_BEARER_CLIENT_ASSERTION) throw await refuse('unsupported client_assertion_type');
    const claimedId = req.params.get('client_id');
    if (claimedId !== undefined && claimedId !== clientId) {
      throw await refuse('client_id differs from the assertion\'s "sub"');
    }
    let claimed: ClaimedAssertion;
    try {
      claimed = this.assertions.claim(assertion);
    } catch (err) {
      if (err instanceof AssertionRefused) throw await refuse(err.reason);
      throw err;
    }
    const { client, view } = await this.resolver.keyedTokenClient(clientId, orgId, req.meta);
    if (client.authMethod !== 'private_key_jwt') {
      throw await refuse(`client assertion sent; the client authenticates with ${client.authMethod}`);
    }
    try {
      await this.assertions.verify(
        claimed,
        { id: clientId, keys: client.keys, jwksUri: client.jwksUri },
        `${this.config.issuer}${req.endpoint ?? '/oauth/token'}`,
      );
    } catch (err) {
      if (err instanceof AssertionRefused) throw await refuse(err.reason);
      throw err;
    }
    return { ...view, method: 'private_key_jwt' };
  }
}
