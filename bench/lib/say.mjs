/* global console -- Node's: the repository's ESLint config declares no globals for .mjs files. */
const startedMs = Date.now();

/** Progress for people, with the seconds since the benchmark started, so slow steps stand out. */
export function say(text) {
  console.log(`bench [${String(Math.round((Date.now() - startedMs) / 1000)).padStart(4)} s] ${text}`);
}
