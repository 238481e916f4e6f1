// The project's own TypeScript sources, read from disk, for tests about the code's shape.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .ts file under the given top-level directories, as paths relative to the repository root. */
export function sourceFiles(dirs: readonly string[], extensions = ['.ts']): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (extensions.some((ext) => entry.endsWith(ext))) files.push(relative(ROOT, path));
    }
  };
  for (const dir of dirs) walk(join(ROOT, dir));
  return files.sort();
}

export const readSource = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The relative imports of a file (static, `import type`, re-exports and dynamic), resolved to repo paths. */
export function relativeImports(file: string): string[] {
  const text = readSource(file);
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+'(\.[^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
  ].map((match) => match[1] as string);
  return [...new Set(specifiers.map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier))))];
}
