import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, newId, type GatehouseConfig } from '@gatehouse/core';
import { SecretBox } from '@gatehouse/credentials';
import { DB_TIMEOUTS, restartDatabaseDeadline } from '@gatehouse/db';
import type { JWK } from 'jose';
import type { NewSigningKey } from './signing-key.repository';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Fresh RSA signing keys, the private part sealed under the KEK bound to its kid (§4). */
@Injectable()
export class SigningKeyGenerator {
  constructor(
    private readonly box: SecretBox,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async generate(state: 'next' | 'current', now: Date): Promise<NewSigningKey> {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: this.config.rsaBits });
    // An on-demand rotation generates inside a request: the key's CPU time is not a database
    // wait (docs/reliability.md#every-request-answered-within-3-s).
    restartDatabaseDeadline(DB_TIMEOUTS.requestMs);
    const kid = newId('key');
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    return {
      kid,
      state,
      alg: 'RS256',
      publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
      privateKeyEnc: this.box.seal(pem, `signing-key:${kid}`),
      createdAt: now,
      activatedAt: state === 'current' ? now : null,
    };
  }
}
