import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../fixtures/paths.js';

describe('README architecture', () => {
  it('names every folder of src/, and only folders that exist', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const block = /## Architecture[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const listed = [...block.matchAll(/^src\/([\w-]+)\//gm)].map((m) => m[1]).sort();
    const folders = readdirSync(`${ROOT}src`, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(listed).toEqual(folders);
  });
});
