import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');
const SIGNER = join(ROOT, 'libs/tokens/src/access-token.service.ts');
const ISSUER = join(ROOT, 'libs/tokens/src/token-issuer.ts');
/** Every AccessTokenService method that signs (or prepares a signature). */
const SIGNER_METHODS = ['mint', 'prepare', 'prepareAssertion', 'signIdToken'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'generated' || name === 'console') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.spec\.ts$/.test(name) ? [path] : [];
  });
}

/**
 * Every place outside the signer itself and TokenIssuer that refers to
 * `AccessTokenService.mint`, `.prepare`, `.prepareAssertion` or `.signIdToken`, found by the type checker, not by the text: a
 * renamed import, a destructured or stored method (`const { mint: m } = svc`), an element
 * access (`svc['prepare']`), `.bind`/`.call` or a subclass all resolve to the same symbol.
 */
function signerReferences(files: string[]): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram({ rootNames: files, options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const signer = program.getSourceFile(SIGNER)!;
  const targets = new Set<ts.Symbol>();
  signer.forEachChild(function find(node): void {
    if (ts.isClassDeclaration(node) && node.name?.text === 'AccessTokenService')
      for (const member of node.members)
        if (ts.isMethodDeclaration(member) && SIGNER_METHODS.includes(member.name.getText(signer)))
          targets.add(checker.getSymbolAtLocation(member.name)!);
    node.forEachChild(find);
  });
  if (targets.size !== SIGNER_METHODS.length)
    throw new Error(`AccessTokenService.${SIGNER_METHODS.join('/')} not all found: update this check`);

  const resolve = (symbol: ts.Symbol | undefined): ts.Symbol | undefined =>
    symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const found: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || file.fileName === SIGNER || file.fileName === ISSUER) continue;
    if (!files.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      let symbol: ts.Symbol | undefined;
      if (ts.isIdentifier(node) || ts.isStringLiteralLike(node) || ts.isPrivateIdentifier(node))
        symbol = resolve(checker.getSymbolAtLocation(node));
      // `const { mint } = svc` / `{ prepare: p }`: the property named in a binding pattern.
      if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        const name = node.propertyName ?? node.name;
        if (ts.isIdentifier(name) || ts.isStringLiteral(name))
          symbol = checker.getTypeAtLocation(node.parent).getProperty(name.text);
      }
      if (symbol && targets.has(symbol)) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
        found.push(`${relative(ROOT, file.fileName)}:${line + 1}`);
      }
      node.forEachChild(visit);
    };
    visit(file);
  }
  return [...new Set(found)];
}

/**
 * docs/architecture.md#the-token-issuer: every access token is born in TokenIssuer, where the
 * access gate is consulted and the audit row written. A second caller of the signer would
 * mint a token that skips both, so this fails the build when one appears.
 */
describe('the signer has exactly one caller', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-signer-'));
  const escapes = join(dir, 'escapes.ts');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('only token-issuer.ts refers to AccessTokenService.mint, .prepare, .prepareAssertion or .signIdToken outside tests, however it is named', () => {
    // Six ways around a textual `.mint(` search, each of which the check must catch.
    writeFileSync(
      escapes,
      [
        `import { AccessTokenService as Signer } from ${JSON.stringify(SIGNER.replace(/\.ts$/, ''))};`,
        'export function a(s: Signer) { const m = s.mint; return m; }',
        "export function b(s: Signer) { return s['prepare']; }",
        'export function c(s: Signer) { const { mint: sign } = s; return sign; }',
        'export function d(s: Signer) { return s.prepare.bind(s); }',
        'export class E extends Signer { go() { return this.mint; } }',
        'export function f(s: Signer) { const { prepare } = s; return prepare; }',
      ].join('\n'),
    );
    const found = signerReferences([...['libs', 'apps'].flatMap((d) => sources(join(ROOT, d))), escapes]);
    const fixture = relative(ROOT, escapes);
    expect(found.filter((f) => f.startsWith(fixture)).map((f) => f.slice(fixture.length + 1))).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
    // And in the code that ships: none.
    expect(found.filter((f) => !f.startsWith(fixture))).toEqual([]);
  }, 120_000);
});
