import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../messages.js';
import { decodeFrameBody, encodeFrame, encodeHello, encodeMessageBody, FrameSplitter } from './frame-codec.js';
import { decodeRaftMessage, encodeRaftMessage, MESSAGE_TYPE_CODES, readRaftMessage } from './message-codec.js';

const envelope = { from: 1, to: 2, term: 7 };
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

/** One message of every type, the values fixtures/<type>.hex holds. */
const SAMPLES: RaftMessage[] = [
  { type: 'pre-vote-request', ...envelope, lastLogIndex: 41, lastLogTerm: 6 },
  { type: 'pre-vote-response', ...envelope, granted: true },
  { type: 'vote-request', ...envelope, lastLogIndex: 2 ** 40 + 3, lastLogTerm: 6 },
  { type: 'vote-response', ...envelope, granted: false },
  {
    type: 'append-request',
    ...envelope,
    previousLogIndex: 10,
    previousLogTerm: 6,
    entries: [
      { index: 11, term: 7, payload: new Uint8Array(0) },
      { index: 12, term: 7, payload: bytes('hello') },
    ],
    leaderCommitIndex: 9,
  },
  { type: 'append-accepted', ...envelope, matchIndex: 12 },
  { type: 'append-rejected', ...envelope, rejectedPreviousLogIndex: 10, hintIndex: 8, hintTerm: 5, followerLastIndex: 9 },
  { type: 'heartbeat-request', ...envelope, leaderCommitIndex: Number.MAX_SAFE_INTEGER },
  { type: 'heartbeat-response', ...envelope },
  { type: 'snapshot-chunk', ...envelope, snapshotIndex: 100, snapshotTerm: 6, offsetBytes: 4, totalSizeBytes: 10, bytes: bytes('snap') },
  { type: 'snapshot-chunk-response', ...envelope, snapshotIndex: 100, snapshotTerm: 6, outcome: 'installed', nextOffsetBytes: 10 },
];

function fixturePath(name: string): string {
  return fileURLToPath(new URL(`fixtures/${name}.hex`, import.meta.url));
}

function readFixture(name: string): Buffer {
  const text = readFileSync(fixturePath(name), 'utf8');
  return Buffer.from(text.replace(/#.*/g, '').replace(/\s+/g, ''), 'hex');
}

// UPDATE_FIXTURES=1 writes the fixtures anew: only for a new format version, never to make a failing test pass.
if (process.env.UPDATE_FIXTURES === '1') {
  for (const sample of SAMPLES) {
    const hex = encodeRaftMessage(sample).toString('hex').replace(/(.{32})/g, '$1\n').trim();
    writeFileSync(fixturePath(sample.type), `# Raft message format version 1: ${sample.type} (see message-codec.test.ts for the values)\n${hex}\n`);
  }
  const hello = encodeFrame(encodeHello({ fromNodeId: 1, toNodeId: 2, clusterId: 'orders' })).toString('hex').replace(/(.{32})/g, '$1\n').trim();
  writeFileSync(fixturePath('hello-frame'), `# Frame format version 1: a hello frame from node 1 to node 2 of cluster 'orders'\n${hello}\n`);
}

describe('Raft message format version 1', () => {
  it('has a sample for every message type', () => {
    expect(new Set(SAMPLES.map((sample) => sample.type))).toEqual(new Set(Object.keys(MESSAGE_TYPE_CODES)));
  });

  for (const sample of SAMPLES) {
    it(`encodes a ${sample.type} into exactly the fixture bytes and decodes them back`, () => {
      // given
      const fixture = readFixture(sample.type);

      // when
      const encoded = encodeRaftMessage(sample);
      const decoded = readRaftMessage(fixture);

      // then
      expect(encoded).toEqual(fixture);
      expect(decoded).toEqual({ ok: true, value: sample });
    });

    it(`rejects every truncation and every extension of a ${sample.type} without throwing`, () => {
      const encoded = encodeRaftMessage(sample);
      for (let length = 0; length < encoded.length; length++) {
        const result = decodeRaftMessage(encoded.subarray(0, length));
        expect(result.ok, `truncated to ${length} bytes`).toBe(false);
      }
      expect(decodeRaftMessage(Buffer.concat([encoded, Buffer.from([0])]))).toMatchObject({ ok: false, error: expect.stringContaining('left over') });
    });
  }

  it('names what is wrong with bad bytes', () => {
    const heartbeat = encodeRaftMessage(SAMPLES[8]);
    const withVersion = Buffer.from(heartbeat);
    withVersion[0] = 2;
    const withType = Buffer.from(heartbeat);
    withType[1] = 99;
    const vote = encodeRaftMessage(SAMPLES[1]);
    vote[vote.length - 1] = 2;

    expect(decodeRaftMessage(withVersion)).toEqual({ ok: false, error: 'Unknown Raft message format version 2 (expected 1)' });
    expect(decodeRaftMessage(withType)).toEqual({ ok: false, error: 'Unknown Raft message type code 99' });
    expect(decodeRaftMessage(vote)).toEqual({ ok: false, error: 'Malformed Raft message: granted must be 0 or 1, got 2' });
  });

  it('refuses a forged entry count before allocating for it', () => {
    // given an append request whose entry count claims four billion entries
    const encoded = encodeRaftMessage({ ...(SAMPLES[4] as Extract<RaftMessage, { type: 'append-request' }>), entries: [] });
    encoded.writeUInt32LE(0xffffffff, encoded.length - 4);

    // then
    expect(decodeRaftMessage(encoded)).toMatchObject({ ok: false, error: expect.stringContaining('cannot fit') });
  });

  it('decodes random garbage into errors, never exceptions', () => {
    let state = 12345;
    const nextByte = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    };
    for (let round = 0; round < 5_000; round++) {
      const garbage = Buffer.from(Array.from({ length: nextByte() % 64 }, nextByte));
      // Valid-looking prefixes make the garbage reach the field decoders, not only the version check.
      if (garbage.length > 2) {
        garbage[0] = 1;
        garbage[1] = 1 + (garbage[1] % 11);
      }
      expect(() => readRaftMessage(garbage)).not.toThrow();
      expect(() => decodeFrameBody(garbage)).not.toThrow();
    }
  });

  it('validates the meaning after the shape: entries must continue the log in term order', () => {
    const append = SAMPLES[4] as Extract<RaftMessage, { type: 'append-request' }>;
    const gap = encodeRaftMessage({ ...append, entries: [{ index: 12, term: 7, payload: new Uint8Array(0) }] });
    const laterTerm = encodeRaftMessage({ ...append, entries: [{ index: 11, term: 8, payload: new Uint8Array(0) }] });
    const toItself = encodeRaftMessage({ ...SAMPLES[8], to: 1 });

    expect(decodeRaftMessage(gap).ok).toBe(true);
    expect(readRaftMessage(gap)).toMatchObject({ ok: false, error: expect.stringContaining('carries entry 12 at position 0') });
    expect(readRaftMessage(laterTerm)).toMatchObject({ ok: false, error: expect.stringContaining('term 8 out of order') });
    expect(readRaftMessage(toItself)).toMatchObject({ ok: false, error: 'A Raft message from replica 1 to itself' });
  });
});

describe('frames, wire format version 1', () => {
  it('carries a hello and a message with a checksum, across arbitrary chunk boundaries', () => {
    // given
    const stream = Buffer.concat([encodeFrame(encodeHello({ fromNodeId: 1, toNodeId: 2, clusterId: 'orders' })), encodeFrame(encodeMessageBody(3, SAMPLES[4]))]);
    const splitter = new FrameSplitter(1024);

    // when the stream arrives one byte at a time
    const bodies = [...stream].flatMap((byte) => {
      const result = splitter.push(Buffer.from([byte]));
      if (!result.ok) throw new Error(result.error);
      return result.value;
    });

    // then
    expect(bodies.map(decodeFrameBody)).toEqual([
      { ok: true, value: { kind: 'hello', hello: { wireVersion: 1, fromNodeId: 1, toNodeId: 2, clusterId: 'orders' } } },
      { ok: true, value: { kind: 'message', groupId: 3, message: SAMPLES[4] } },
    ]);
  });

  it('matches the hello fixture bytes', () => {
    expect(encodeFrame(encodeHello({ fromNodeId: 1, toNodeId: 2, clusterId: 'orders' }))).toEqual(readFixture('hello-frame'));
  });

  it('reports a corrupted frame and one beyond the size limit', () => {
    const frame = encodeFrame(encodeMessageBody(3, SAMPLES[8]));
    frame[frame.length - 1] ^= 0xff;
    expect(new FrameSplitter(1024).push(frame)).toMatchObject({ ok: false, error: expect.stringContaining('failed its checksum') });
    expect(new FrameSplitter(8).push(encodeFrame(encodeMessageBody(3, SAMPLES[8])))).toMatchObject({ ok: false, error: expect.stringContaining('exceeds frameSizeBytesMax') });
  });

  it('refuses a hello from something that is not a Tributary node', () => {
    const body = encodeHello({ fromNodeId: 1, toNodeId: 2, clusterId: 'orders' });
    body.write('XX', 1, 'latin1');
    expect(decodeFrameBody(body)).toMatchObject({ ok: false, error: expect.stringContaining('not a Tributary Raft peer') });
  });
});
