// The ceiling for POST /oauth/token on this machine: the least a token endpoint can do —
// node:http, read the form, sign an RS256 token with node:crypto over a KeyObject, answer
// JSON — with no client lookup, no rate limit, no audit row, no framework. token-bench.mjs
// drives it with the same autocannon settings as Gatehouse, so the gap between this and the
// raw sign rate is what HTTP and the shared cores cost before Gatehouse does anything.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'key_bench' })).toString('base64url');

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const params = new URLSearchParams(body);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'http://127.0.0.1:3000',
      sub: 'app_01',
      aud: 'http://127.0.0.1:3000',
      exp: now + 600,
      iat: now,
      nbf: now,
      jti: `jti_${randomBytes(10).toString('hex')}`,
      scope: params.get('scope') ?? 'bench:read',
      tier: 'app',
      client_id: 'app_01',
      org: 'bench',
      org_id: 'org_01',
    };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 600, scope: claims.scope }));
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('listening'));
process.on('SIGINT', () => server.close(() => process.exit(0)));
