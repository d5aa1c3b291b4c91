/**
 * HPACK's Huffman code (RFC 7541, Appendix B). The code is canonical: codes of the same length are consecutive in
 * symbol order, so each symbol's code length is all it takes to rebuild it. Symbol 256 is EOS.
 */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6,
  12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13,
  14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14,
  13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23,
  23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22,
  22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27,
  27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27,
  27, 26, 30,
];
const EOS = 256;

/**
 * The decoding tree as a flat array: node n's children are at 2n (bit 0) and 2n+1 (bit 1); a child value >= 0 is the
 * next node, -1 - symbol is a leaf, and 0 (the root, never a child) is a code no symbol has.
 */
const TREE = buildTree();

function buildTree(): Int32Array {
  const symbols = CODE_LENGTHS.map((_, symbol) => symbol).sort((a, b) => CODE_LENGTHS[a] - CODE_LENGTHS[b] || a - b);
  const tree = new Int32Array(2 * 2 * symbols.length);
  let nodes = 1;
  let code = 0;
  let length = CODE_LENGTHS[symbols[0]];
  for (const symbol of symbols) {
    code <<= CODE_LENGTHS[symbol] - length;
    length = CODE_LENGTHS[symbol];
    let node = 0;
    for (let bit = length - 1; bit > 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (tree[slot] === 0) tree[slot] = nodes++;
      node = tree[slot];
    }
    tree[2 * node + (code & 1)] = -1 - symbol;
    code++;
  }
  return tree;
}

/** Decodes a Huffman-coded string literal to latin1 text; throws on EOS, a code no symbol has or bad padding. */
export function huffmanDecode(bytes: Buffer, start: number, end: number): string {
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let length = 0;
  let node = 0;
  // Bits read since the last whole symbol: padding must be under 8 bits, all ones (the start of EOS).
  let pendingBits = 0;
  let pendingOnes = true;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >>> bit) & 1;
      const next = TREE[2 * node + one];
      pendingBits++;
      pendingOnes &&= one === 1;
      if (next < 0) {
        const symbol = -1 - next;
        if (symbol === EOS) throw new Error('Huffman string holds EOS');
        out[length++] = symbol;
        node = 0;
        pendingBits = 0;
        pendingOnes = true;
      } else if (next === 0) {
        throw new Error('Huffman string holds a code no symbol has');
      } else {
        node = next;
      }
    }
  }
  if (pendingBits > 7 || !pendingOnes) throw new Error('Huffman string has bad padding');
  return out.toString('latin1', 0, length);
}
