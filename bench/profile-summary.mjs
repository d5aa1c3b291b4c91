// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time, and self time per
// area (a folder of dist/, an npm package, Node itself, the garbage collector), so the next optimisation is chosen
// from numbers. Run on its own: node bench/profile-summary.mjs FILE.cpuprofile [TOP]
/* global console, process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Self milliseconds per profile node id: each sample's time runs until the next sample. Only samples taken from fromUs
 * to toUs count (microseconds of the monotonic clock, which V8's profile timestamps and process.hrtime share), so a
 * caller can leave out the process's start and stop.
 */
function selfMillisecondsByNode(profile, fromUs = -Infinity, toUs = Infinity) {
  const selfMs = new Map();
  let timestampUs = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    timestampUs += profile.timeDeltas[i];
    if (timestampUs < fromUs || timestampUs > toUs) continue;
    const durationUs = profile.timeDeltas[i + 1] ?? 0;
    selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + durationUs / 1000);
  }
  return selfMs;
}

function areaOf(url, functionName) {
  if (url === '') return functionName; // (garbage collector), (program), (idle), (root)
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return `tributary ${dist[1]}/`;
  const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageName) return packageName[1];
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function location(url, lineNumber) {
  const short = url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
  return url === '' ? '' : `${short}:${lineNumber + 1}`;
}

/**
 * For each node, the closest frame at or above it that is Tributary's own code (dist/): a Buffer write or a RocksDB
 * call is charged to the function of ours that made it, which is where a change would go.
 */
function nearestOwnFrames(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const nearest = new Map();
  const find = (id) => {
    if (nearest.has(id)) return nearest.get(id);
    const { callFrame } = byId.get(id);
    const parent = parentOf.get(id);
    const own = /\/dist\//.test(callFrame.url) ? `${callFrame.functionName || '(anonymous)'} ${location(callFrame.url, callFrame.lineNumber)}` : undefined;
    const result = own ?? (parent === undefined ? undefined : find(parent));
    nearest.set(id, result);
    return result;
  };
  return find;
}

export function summarizeProfile(file, { top = 20, fromUs, toUs } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const selfMs = selfMillisecondsByNode(profile, fromUs, toUs);
  const nearestOwnFrame = nearestOwnFrames(profile);
  const functions = new Map();
  const areas = new Map();
  const ownCallers = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    totalMs += ms;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const name = functionName || '(anonymous)';
    const key = `${name} ${location(url, lineNumber)}`;
    const entry = functions.get(key) ?? { function: name, location: location(url, lineNumber), selfMs: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    const area = areaOf(url, name);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const caller = nearestOwnFrame(node.id) ?? `(outside Tributary's code) ${area}`;
    ownCallers.set(caller, (ownCallers.get(caller) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const percent = (ms) => Math.round((ms / busyMs) * 1000) / 10;
  return {
    file,
    totalMs: Math.round(totalMs),
    busyMs: Math.round(busyMs),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((entry) => ({ ...entry, selfMs: Math.round(entry.selfMs), percentOfBusy: percent(entry.selfMs) })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, ms]) => ({ area, selfMs: Math.round(ms), percentOfBusy: percent(ms) })),
    ownFunctions: [...ownCallers.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, ms]) => ({ frame, selfMs: Math.round(ms), percentOfBusy: percent(ms) })),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const summary = summarizeProfile(process.argv[2], { top: Number(process.argv[3] ?? 25) });
  console.log(`${summary.file}: ${summary.busyMs} ms busy of ${summary.totalMs} ms`);
  console.log('\nself time by area:');
  for (const area of summary.areas) console.log(`${String(area.percentOfBusy).padStart(5)} %  ${area.area}`);
  console.log("\nself time charged to the nearest function of Tributary's own (with the library calls it makes):");
  for (const entry of summary.ownFunctions) console.log(`${String(entry.percentOfBusy).padStart(5)} %  ${entry.frame}`);
  console.log('\ntop functions by self time:');
  for (const entry of summary.topFunctions) console.log(`${String(entry.percentOfBusy).padStart(5)} %  ${entry.function}  ${entry.location}`);
}
