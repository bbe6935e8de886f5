#!/usr/bin/env node
// Links and anchors that stay true (docs/architecture.md#docs-that-stay-true), run by `npm run lint`:
// - every relative link in README.md, docs/**/*.md and libs/*/README.md names a file that
//   exists and, with `#anchor`, a heading (GitHub's slug) or an id in it;
// - every `docs/….md#anchor` a source file cites (apps, libs, test, bench, scripts) resolves the
//   same way;
// - no source file or doc cites a file outside the repository (STYLE.md, ARCHITECTURE.md) and
//   no source file cites an issue number: the reason goes in the comment, or in docs/.
// Prints one line per problem and exits 1 when there is any.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SKIP = new Set(['node_modules', 'dist', 'coverage', '.gatehouse', 'generated', 'screenshots', 'results', '.git']);

function walk(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, keep) : keep(name) ? [path] : [];
  });
}

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
export function anchorsOf(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = heading[1]
        .replace(/<[^>]+>/g, '')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n ? `${base}-${n}` : base);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  return anchors;
}

const anchorCache = new Map();
function hasAnchor(file, anchor) {
  if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(readFileSync(file, 'utf8')));
  return anchorCache.get(file).has(decodeURIComponent(anchor));
}

const problems = [];
const rel = (p) => relative(root, p);
// scripts/check-links.pending.json: known dead links into sections other branches are writing.
const pendingFile = join(root, 'scripts/check-links.pending.json');
const pending = new Set(existsSync(pendingFile) ? JSON.parse(readFileSync(pendingFile, 'utf8')).pending : []);
const stillPending = new Set();

function checkTarget(from, line, target, base) {
  const [path, anchor] = target.split('#');
  const file = path ? resolve(base, decodeURIComponent(path)) : from;
  let problem = null;
  if (!existsSync(file)) problem = 'no such file';
  else if (anchor && /\.md$/.test(file) && !hasAnchor(file, anchor))
    problem = `no heading or id "#${anchor}" in ${rel(file)}`;
  if (!problem) return;
  const key = `${rel(from)}:${target}`;
  if (pending.has(key)) stillPending.add(key);
  else problems.push(`${rel(from)}:${line}: ${target}: ${problem}`);
}

const OUTSIDE = /\b(STYLE|ARCHITECTURE)\.md\b/;

const docs = [
  join(root, 'README.md'),
  ...walk(join(root, 'docs'), (n) => n.endsWith('.md')),
  ...walk(join(root, 'libs'), (n) => n === 'README.md'),
];
for (const file of docs) {
  let fenced = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
      if (fenced) return;
      if (OUTSIDE.test(text)) problems.push(`${rel(file)}:${i + 1}: cites ${OUTSIDE.exec(text)[0]}, which is not in the repository`);
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checkTarget(file, i + 1, target, dirname(file));
      }
    });
}

const CODE = /\.(ts|tsx|mjs|cjs|js)$/;
const sources = [
  ...['apps', 'libs', 'test', 'bench', 'scripts'].flatMap((d) => walk(join(root, d), (n) => CODE.test(n))),
  ...readdirSync(root)
    .filter((n) => CODE.test(n))
    .map((n) => join(root, n)),
];
const ISSUE = /\bissues?\s+#?\d+/i;
const self = new URL(import.meta.url).pathname;
for (const file of sources) {
  if (file === self) continue;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (OUTSIDE.test(text)) problems.push(`${rel(file)}:${i + 1}: cites ${OUTSIDE.exec(text)[0]}, which is not in the repository`);
      if (ISSUE.test(text)) problems.push(`${rel(file)}:${i + 1}: cites "${ISSUE.exec(text)[0]}": say the reason, or cite docs/`);
      for (const m of text.matchAll(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)) checkTarget(file, i + 1, m[0], root);
    });
}

for (const key of pending)
  if (stillPending.has(key)) process.stderr.write(`warning: pending link ${key} (scripts/check-links.pending.json)\n`);
  else problems.push(`${key}: listed as pending in scripts/check-links.pending.json but resolves now: delete the entry`);

if (problems.length) {
  process.stderr.write(`${problems.join('\n')}\n${problems.length} broken link(s) or citation(s)\n`);
  process.exit(1);
}
