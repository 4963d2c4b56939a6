// The layers of src/, lowest first: a module may import its own layer and those below,
// never one above. The walk reads the TypeScript sources (relative imports only; node:
// built-ins are not ours), so a new upward import fails here before it becomes a cycle.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** dist/suite/test/architecture/ -> the project's src/. */
const SRC = fileURLToPath(new URL('../../../../src/', import.meta.url));

/** Each entry names the folders (or root files) of one layer. */
const LAYERS: readonly (readonly string[])[] = [
  ['platform', 'log', 'cache', 'pool', 'ip', 'resilience', 'trace', 'config.ts'],
  ['compression'],
  ['http'],
  ['observability'],
  ['products', 'metrics', 'middleware'],
  ['routes'],
  ['lifecycle'],
  ['app.ts'],
  ['cluster'],
  ['index.ts', 'server.ts'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a file: its top folder under src/, or its own name at the root. */
function layerOf(file: string): number {
  const top = relative(SRC, file).split(sep)[0] ?? '';
  const layer = LAYERS.findIndex((names) => names.includes(top));
  if (layer < 0) throw new Error(`${relative(SRC, file)} is in no layer: add '${top}' to LAYERS in this test`);
  return layer;
}

/** `import ... from './x.js'`, `export ... from`, `import './x.js'` and `import('./x.js')`. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|(?:^|\n)\s*import\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2] ?? m[3] ?? '').replace(/\.js$/, '.ts')));
}

describe('layers of src/', () => {
  const files = sources(SRC);

  it('finds the sources and their imports (the walk itself works)', () => {
    assert.ok(files.length > 50, `only ${files.length} files under ${SRC}`);
    const app = files.find((f) => f.endsWith(`${sep}app.ts`));
    assert.ok(app !== undefined && importsOf(app).some((f) => f.endsWith(`http${sep}router.ts`)));
    // server.ts loads the cluster's primary and the public API on demand.
    const server = files.find((f) => f.endsWith(`${sep}server.ts`));
    assert.ok(server !== undefined && importsOf(server).some((f) => f.endsWith(`cluster${sep}primary.ts`)));
  });

  it('every file belongs to a layer and every import exists', () => {
    for (const file of files) {
      layerOf(file);
      for (const target of importsOf(file)) assert.ok(files.includes(target), `${relative(SRC, file)} imports a missing ${relative(SRC, target)}`);
    }
  });

  it('no module imports a layer above its own', () => {
    const upward: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        if (layerOf(target) > layerOf(file)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    assert.deepEqual(upward, [], 'imports that point upwards:\n' + upward.join('\n'));
  });

  it('no import cycle between folders of one layer', () => {
    const folder = (file: string): string => relative(SRC, file).split(sep)[0] ?? '';
    const edges = new Set<string>();
    for (const file of files) for (const target of importsOf(file)) if (folder(file) !== folder(target)) edges.add(`${folder(file)}>${folder(target)}`);
    const both = [...edges].filter((e) => { const [a, b] = e.split('>'); return edges.has(`${b}>${a}`); });
    assert.deepEqual(both, []);
  });
});
