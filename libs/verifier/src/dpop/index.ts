/** DPoP (RFC 9449) for resource servers: proofs, thumbprints, nonces, replay stores, the request check. */
export * from './dpop-error';
export * from './dpop-verifier';
export * from './htu';
export * from './jws';
export * from './nonce';
export * from './proof';
export * from './replay-store';
export * from './thumbprint';
