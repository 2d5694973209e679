import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** The README's TypeScript examples must compile against the library as it is. */
test('README TypeScript examples compile', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  // Inside the repository, so that the examples resolve cdk8s and cdk8s-plus-27 from node_modules.
  const dir = fs.mkdtempSync(path.join(__dirname, '.readme-'));
  const src = path.join(__dirname, '..', 'src');
  const files = blocks.map((code, i) => {
    const file = path.join(dir, `example${i}.ts`);
    fs.writeFileSync(file, code.replace(/from 'cdk8s-secure-serving'/g, `from ${JSON.stringify(src)}`));
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(__dirname, '..', 'node_modules', '@types')],
    ignoreDeprecations: '6.0',
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map(d => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  fs.rmSync(dir, { recursive: true, force: true });
  expect(diagnostics).toEqual([]);
}, 60_000);
