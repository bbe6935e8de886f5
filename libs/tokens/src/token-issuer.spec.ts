import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'generated') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.spec\.ts$/.test(name) ? [path] : [];
  });
}

/**
 * docs/architecture.md#the-token-issuer: every access token is born in TokenIssuer, where the
 * access gate is consulted and the audit row written. A second caller of the signer would
 * mint a token that skips both, so this fails the build when one appears.
 */
describe('the signer has exactly one caller', () => {
  it('only token-issuer.ts calls AccessTokenService.mint, .prepare or .signIdToken outside tests', () => {
    const callers = ['libs', 'apps']
      .flatMap((d) => sources(join(ROOT, d)))
      .filter((f) => !f.endsWith('access-token.service.ts')) // mint() is prepare().sign()
      .filter((f) => /\.(mint|prepare|signIdToken)\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(callers).toEqual(['libs/tokens/src/token-issuer.ts']);
  });
});
