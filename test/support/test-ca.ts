import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

export interface TestCa {
  /** The CA certificate (PEM): what NODE_EXTRA_CA_CERTS would name. */
  caPem: string;
  /** A server certificate and key for 127.0.0.1, ::1 and localhost, signed by the CA. */
  certPem: string;
  keyPem: string;
  /** Node's roots plus the CA: Gatehouse's outbound trust for an in-process test (AppOptions.outboundCa). */
  trust: string[];
}

/** A throwaway CA and a loopback server certificate, made with the openssl command. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'gh-ca-'));
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  try {
    ossl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Gatehouse test CA',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
    );
    ossl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      f('srv.key'),
      '-out',
      f('srv.csr'),
    );
    writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n');
    ossl(
      'x509',
      '-req',
      '-in',
      f('srv.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f('ext.cnf'),
      '-out',
      f('srv.pem'),
    );
    const caPem = readFileSync(f('ca.pem'), 'utf8');
    return {
      caPem,
      certPem: readFileSync(f('srv.pem'), 'utf8'),
      keyPem: readFileSync(f('srv.key'), 'utf8'),
      trust: [...rootCertificates, caPem],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
