import type { McpDemoConfig } from './config';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Per-step isolation: before handing a step to a specialist, the demo trades the caller's token
 * for a step token at Gatehouse (RFC 8693 token exchange, with the demo's own credentials):
 * one step, a narrower scope, a life of at most the app's step TTL, an `act` claim naming the
 * demo, revoked with the token it came from.
 */
export class StepTokens {
  private tokenEndpoint?: Promise<string>;

  constructor(private readonly config: McpDemoConfig) {}

  async exchange(subjectToken: string, step: string, scope: string): Promise<string> {
    const { id, secret } = this.config.client;
    const res = await fetch(await this.endpoint(), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN,
        scope,
        step,
      }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      error?: string;
      error_description?: string;
    };
    if (!res.ok || !body.access_token) {
      throw new Error(`token exchange refused: ${body.error ?? res.status} ${body.error_description ?? ''}`.trim());
    }
    return body.access_token;
  }

  /** RFC 8414 discovery, once. */
  private endpoint(): Promise<string> {
    this.tokenEndpoint ??= fetch(`${this.config.issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`, {
      signal: AbortSignal.timeout(5000),
    })
      .then((r) => r.json() as Promise<{ token_endpoint: string }>)
      .then((d) => d.token_endpoint)
      .catch((err: unknown) => {
        this.tokenEndpoint = undefined;
        throw err;
      });
    return this.tokenEndpoint;
  }
}
