// The code's layering (docs/architecture.md, "Layers"): no import circles, and the lower layers never
// import the higher ones. Type imports count too: a circle of types is still two modules that cannot
// be understood (or moved) apart.
import { describe, expect, it } from 'vitest';
import { relativeImports, sourceFiles } from './support/source-files.ts';

const LAYERED = ['activities', 'cli', 'grafana/src', 'providers', 'store', 'worker', 'workflows'];

function importGraph(): Map<string, string[]> {
  const files = sourceFiles(LAYERED);
  return new Map(files.map((file) => [file, relativeImports(file)]));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indices.get(next) as number));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

/** Which top-level directories each may not import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  providers: ['activities', 'cli', 'store', 'worker', 'workflows'],
  store: ['activities', 'cli', 'worker', 'workflows'],
  activities: ['cli', 'worker', 'workflows'],
  workflows: ['cli', 'store', 'worker'],
  worker: ['cli'],
};

describe('imports', () => {
  it('finds a circle when there is one (the checker itself)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('reads every kind of relative import', () => {
    const imports = relativeImports('providers/whoop/index.ts');
    expect(imports).toContain('providers/types.ts');
    // The sandbox is a dynamic import.
    expect(imports).toContain('providers/whoop/sandbox-module.ts');
  });

  it('form no circles', () => {
    expect(cycles(importGraph())).toEqual([]);
  });

  it('never go from a lower layer to a higher one', () => {
    const violations: string[] = [];
    for (const [file, imports] of importGraph()) {
      const layer = file.split('/')[0] as string;
      for (const target of imports) {
        if (FORBIDDEN[layer]?.includes(target.split('/')[0] as string))
          violations.push(`${file} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
