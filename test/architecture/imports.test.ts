import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

/** Which top-level modules each module may import (DESIGN.md, "Which way dependencies point"). */
const ALLOWED: { [module: string]: string[] } = {
  files: [],
  protocol: [],
  log: ['protocol', 'files'],
  state: ['protocol', 'files'],
  bpmn: ['protocol', 'files'],
  raft: ['log', 'protocol', 'files'],
  engine: ['state', 'bpmn', 'log', 'protocol', 'files'],
  exporters: ['protocol', 'files'],
  gateway: ['protocol', 'files'],
  http: ['protocol', 'files'],
  connectors: ['exporters', 'bpmn', 'protocol', 'files'],
  broker: ['gateway', 'http', 'exporters', 'raft', 'engine', 'state', 'bpmn', 'log', 'protocol', 'files'],
  cli: ['connectors', 'broker', 'gateway', 'http', 'exporters', 'raft', 'engine', 'state', 'bpmn', 'log', 'protocol', 'files'],
};

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

function relativeImports(file: string): { specifier: string; line: string }[] {
  const text = readFileSync(file, 'utf8');
  const imports: { specifier: string; line: string }[] = [];
  for (const match of text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)) {
    imports.push({ specifier: match[1], line: match[0] });
  }
  return imports;
}

function moduleOf(path: string): string {
  return relative(SRC, path).split('/')[0].replace(/\.ts$/, '');
}

describe('module boundaries', () => {
  it('imports point down the layers that DESIGN.md lists, never up', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = moduleOf(file);
      if (!(from in ALLOWED)) continue;
      for (const { specifier } of relativeImports(file)) {
        const target = moduleOf(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
        if (target === from || target === 'errors') continue;
        if (!ALLOWED[from].includes(target)) violations.push(`${relative(SRC, file)} imports ${target} (${specifier})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('processors read state only through read-only views; only appliers mutate it', () => {
    const mutable = /\b(EngineState|ProcessState|ElementInstanceState|VariableState|JobState|IncidentState|MessageState|SubscriptionState|TimerState|EventTriggerState|SignalSubscriptionState|StateStore|Column)\b/;
    const violations: string[] = [];
    for (const file of sourceFiles(join(SRC, 'engine', 'processors'))) {
      for (const { line } of relativeImports(file)) {
        if (line.includes('/state/') && mutable.test(line.replace(/Readonly\w+/g, ''))) violations.push(`${relative(SRC, file)}: ${line}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('every top-level module is placed in the layering', () => {
    const modules = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    expect(modules.filter((name) => !(name in ALLOWED))).toEqual([]);
  });
});
