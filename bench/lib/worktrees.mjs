// Builds a git ref of this repository for `npm run bench -- --ab <refA> <refB>`: a detached
// worktree in a temporary directory, its dependencies, its Prisma client and its dist/.
// Dependencies: when the ref's package-lock.json equals this checkout's, node_modules is a
// symlink to this checkout's (offline, seconds); otherwise `npm ci --prefer-offline` in the
// worktree. `.` names this checkout as it is (built by `npm run bench` itself).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')} in ${cwd}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

export function commitOf(root, ref = 'HEAD') {
  return run('git', ['rev-parse', '--verify', `${ref}^{commit}`], root, `resolving ${ref}`);
}

/** `git describe`-like label: short hash, plus "+changes" when the checkout has uncommitted changes. */
export function describeCheckout(root) {
  const sha = commitOf(root).slice(0, 12);
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], root, 'git status') !== '';
  return dirty ? `${sha}+uncommitted changes` : sha;
}

/** @returns {{ ref: string, sha: string, root: string, remove: () => void }} */
export function buildRef(root, ref, log = () => undefined) {
  if (ref === '.') return { ref, sha: describeCheckout(root), root, remove: () => undefined };
  const sha = commitOf(root, ref);
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-ab-${sha.slice(0, 8)}-`));
  const remove = () => {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: root });
    rmSync(dir, { recursive: true, force: true });
    spawnSync('git', ['worktree', 'prune'], { cwd: root });
  };
  try {
    log(`${ref} (${sha.slice(0, 12)}): worktree in ${dir}`);
    run('git', ['worktree', 'add', '--detach', '--quiet', dir, sha], root, 'git worktree add');
    const sameLock = readFileSync(join(root, 'package-lock.json'), 'utf8') === readFileSync(join(dir, 'package-lock.json'), 'utf8');
    if (sameLock && existsSync(join(root, 'node_modules'))) {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
      log(`${ref}: same package-lock.json, node_modules linked`);
    } else {
      log(`${ref}: package-lock.json differs, npm ci --prefer-offline (a minute or two)`);
      run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir, 'npm ci');
    }
    if (existsSync(join(dir, 'scripts/prisma-generate.mjs'))) run(process.execPath, ['scripts/prisma-generate.mjs'], dir, 'prisma generate');
    log(`${ref}: building`);
    run('npm', ['run', 'build', '--silent'], dir, 'npm run build');
    return { ref, sha: sha.slice(0, 12), root: dir, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
