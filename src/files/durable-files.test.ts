import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceFileAtomically } from './durable-files.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'tributary-durable-files-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('replaceFileAtomically', () => {
  it('replaces the file with the new content and leaves no temporary behind', async () => {
    const file = path.join(directory, 'positions.json');
    await writeFile(file, 'old content that is longer than the new one');

    await replaceFileAtomically(file, 'new', { fsync: true, syncDirectory: true });

    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(directory)).toEqual(['positions.json']);
  });

  it('overwrites a temporary left by a crash, under the name the caller gives', async () => {
    const file = path.join(directory, 'metadata.json');
    const temporaryPath = path.join(directory, 'metadata.json.partial');
    await writeFile(temporaryPath, 'torn write from before a crash, longer than the new content');

    await replaceFileAtomically(file, Buffer.from('whole'), { fsync: false, syncDirectory: false, temporaryPath });

    expect(await readFile(file, 'utf8')).toBe('whole');
    expect(await readdir(directory)).toEqual(['metadata.json']);
  });

  it('leaves the target as it was and removes the temporary when the rename fails', async () => {
    const target = path.join(directory, 'occupied');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'kept');

    await expect(replaceFileAtomically(target, 'data', { fsync: true, syncDirectory: true })).rejects.toThrow();

    expect(await readdir(directory)).toEqual(['occupied']);
    expect(await readFile(path.join(target, 'inside'), 'utf8')).toBe('kept');
  });
});
