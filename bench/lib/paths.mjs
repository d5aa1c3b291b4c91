import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repositoryDirectory = join(benchDirectory, '..');
