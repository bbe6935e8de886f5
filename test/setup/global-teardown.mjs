export default async function globalTeardown() {
  const server = globalThis.__gatehouseEmbeddedPg;
  if (server) await server.stop();
}
