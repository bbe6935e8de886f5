import { randomBytes } from 'node:crypto';
import { newId } from '@gatehouse/core';
import { createTestDatabase, PrismaService, type TestDatabase } from '@gatehouse/db';
import { KeyedHasher } from '@gatehouse/credentials';
import { SignInInteractionRepository } from './sign-in-interaction.repository';

/**
 * The interaction store against a real PostgreSQL (a database of its own): handles stored
 * only as keyed hashes, liveness by the clock, and single use under concurrency.
 */
describe('SignInInteractionRepository', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let store: SignInInteractionRepository;
  const kek = randomBytes(32);
  const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
  let orgId: string;

  beforeAll(async () => {
    db = await createTestDatabase(process.env.GATEHOUSE_TEST_PG_URL!);
    prisma = new PrismaService(db.url);
    store = new SignInInteractionRepository(prisma, kek, clock);
    orgId = newId('org');
    await prisma.organization.create({
      data: { id: orgId, name: `o-${orgId.slice(-8).toLowerCase()}`, displayName: 'O' },
    });
  });
  afterEach(() => {
    clock.offsetMs = 0;
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  const userPolicy = () =>
    store.create({
      kind: 'user_policy',
      subjectId: 'usr_1',
      orgId,
      clientId: 'app_1',
      stepsDone: ['password'],
      params: { redirect_uri: 'https://app.test/cb', scope: ['openid'], n: 1, nested: { ok: true } },
      ttlS: 300,
    });

  it('creates an interaction whose handle carries its kind prefix and is stored only as a keyed hash', async () => {
    const before = clock.now().getTime();
    const { handle, interaction } = await userPolicy();
    expect(handle).toMatch(/^gha_[A-Za-z0-9_-]{43}$/);
    expect(interaction).toMatchObject({
      kind: 'user_policy',
      subjectId: 'usr_1',
      orgId,
      clientId: 'app_1',
      stepsDone: ['password'],
      params: { redirect_uri: 'https://app.test/cb', scope: ['openid'], n: 1, nested: { ok: true } },
      consumedAt: null,
    });
    expect(interaction.id).toMatch(/^chl_/);
    expect(interaction.expiresAt.getTime() - interaction.createdAt.getTime()).toBe(300_000);
    expect(interaction.createdAt.getTime()).toBeGreaterThanOrEqual(before);

    const [row] = await prisma.$queryRaw<{ handle_hash: string }[]>`
      SELECT handle_hash FROM sign_in_interactions WHERE id = ${interaction.id}`;
    // The hash the replaced user_policy_challenges table used, so moved rows stay reachable.
    expect(row!.handle_hash).toBe(new KeyedHasher(kek, 'policy-challenge').hash(handle));
    const everything = JSON.stringify(await prisma.$queryRaw`SELECT * FROM sign_in_interactions`);
    expect(everything).not.toContain(handle.slice(4));

    const admin = await store.create({ kind: 'admin_mfa', subjectId: 'adm_1', ttlS: 300 });
    expect(admin.handle).toMatch(/^ghc_[A-Za-z0-9_-]{43}$/);
    expect(admin.interaction).toMatchObject({ orgId: null, clientId: null, stepsDone: [], params: {} });
  });

  it('finds a live interaction by its handle, within its kind only', async () => {
    const { handle, interaction } = await userPolicy();
    expect(await store.findLive('user_policy', handle)).toEqual({ status: 'live', interaction });
    // Another kind's prefix, an unknown handle, garbage: unknown, and nothing says which.
    expect(await store.findLive('admin_mfa', handle)).toEqual({ status: 'unknown' });
    expect(await store.findLive('admin_mfa', `ghc_${handle.slice(4)}`)).toEqual({ status: 'unknown' });
    expect(await store.findLive('user_policy', `gha_${'A'.repeat(43)}`)).toEqual({ status: 'unknown' });
    expect(await store.findLive('user_policy', handle.slice(4))).toEqual({ status: 'unknown' });
    expect(await store.findLive('user_policy', undefined)).toEqual({ status: 'unknown' });
    expect(await store.findLive('user_policy', '')).toEqual({ status: 'unknown' });
  });

  it('answers expired at the expiry instant, and still names the interaction', async () => {
    const { handle, interaction } = await userPolicy();
    clock.offsetMs = 299_000;
    expect((await store.findLive('user_policy', handle)).status).toBe('live');
    clock.offsetMs = interaction.expiresAt.getTime() - Date.now();
    expect(await store.findLive('user_policy', handle)).toEqual({ status: 'expired', interaction });
  });

  it('consumes once: the second consumption and a lookup after it are refused', async () => {
    const { handle, interaction } = await userPolicy();
    expect(await store.consume(interaction.id)).toBe(true);
    expect(await store.consume(interaction.id)).toBe(false);
    const found = await store.findLive('user_policy', handle);
    expect(found.status).toBe('consumed');
    expect(found.status !== 'unknown' && found.interaction.consumedAt).toBeInstanceOf(Date);
    expect(await store.consume('chl_unknown')).toBe(false);
  });

  it('lets exactly one of many concurrent requests consume a handle', async () => {
    const { interaction } = await userPolicy();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => prisma.transaction((tx) => store.consume(interaction.id, tx))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('does not consume an expired interaction', async () => {
    const { interaction } = await userPolicy();
    clock.offsetMs = 300_000;
    expect(await store.consume(interaction.id)).toBe(false);
  });

  it('rolls a consumption back with the transaction it was part of', async () => {
    const { handle, interaction } = await userPolicy();
    await expect(
      prisma.transaction(async (tx) => {
        expect(await store.consume(interaction.id, tx)).toBe(true);
        throw new Error('what the consumption bought failed');
      }),
    ).rejects.toThrow('failed');
    expect((await store.findLive('user_policy', handle)).status).toBe('live');
  });

  it('records a step once, names the subject once, and refuses another subject', async () => {
    const { interaction } = await store.create({ kind: 'admin_mfa', ttlS: 300 });
    expect(interaction.subjectId).toBeNull();
    const named = await store.markStepDone(interaction.id, 'password', { subjectId: 'adm_a' });
    expect(named).toMatchObject({ id: interaction.id, subjectId: 'adm_a', stepsDone: ['password'] });
    expect(named!.expiresAt).toEqual(interaction.expiresAt);
    // Again, without a subject: nothing changes, the interaction is returned as it stands.
    expect(await store.markStepDone(interaction.id, 'password')).toMatchObject({
      subjectId: 'adm_a',
      stepsDone: ['password'],
    });
    expect(await store.markStepDone(interaction.id, 'mfa', { subjectId: 'adm_b' })).toBeNull();
    expect(await store.markStepDone(interaction.id, 'mfa', { subjectId: 'adm_a' })).toMatchObject({
      subjectId: 'adm_a',
      stepsDone: ['password', 'mfa'],
    });
  });

  it('records no step on an interaction that is consumed or expired', async () => {
    const spent = await userPolicy();
    await store.consume(spent.interaction.id);
    expect(await store.markStepDone(spent.interaction.id, 'policy')).toBeNull();
    const old = await userPolicy();
    clock.offsetMs = 300_000;
    expect(await store.markStepDone(old.interaction.id, 'policy')).toBeNull();
    clock.offsetMs = 0;
    const [row] = await prisma.$queryRaw<{ steps_done: string[] }[]>`
      SELECT steps_done FROM sign_in_interactions WHERE id = ${old.interaction.id}`;
    expect(row!.steps_done).toEqual(['password']);
  });

  it('goes with its organization', async () => {
    const gone = newId('org');
    await prisma.organization.create({
      data: { id: gone, name: `g-${gone.slice(-8).toLowerCase()}`, displayName: 'G' },
    });
    const { handle } = await store.create({
      kind: 'user_policy',
      subjectId: 'usr_2',
      orgId: gone,
      clientId: 'app_2',
      ttlS: 60,
    });
    await prisma.organization.delete({ where: { id: gone } });
    expect(await store.findLive('user_policy', handle)).toEqual({ status: 'unknown' });
  });
});
