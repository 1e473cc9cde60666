/**
 * The fast keccak primitives (server/chain/keccak.ts) and the evidence functions built on them give what ethers and
 * OpenZeppelin's merkle-tree give, on the WebAssembly path and on the ethers path it falls back to before it loads.
 */
import { expect } from "chai";
import fc from "fast-check";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, getAddress, hexlify, keccak256 } from "ethers";
import { batchTreeOf } from "../../../server/chain/batch-tree";
import { evidenceIdOf, provesInto, saltedHashOf, type EvidenceKind } from "../../../server/chain/evidence";
import {
  fastKeccakLoaded,
  hashPair,
  hexOf,
  keccak64,
  keccakBytes,
  keccakReady,
  processIndexedProof,
  processProof,
  wordOf,
} from "../../../server/chain/keccak";

const word = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("fast keccak (server/chain/keccak)", function () {
  before(async function () {
    await keccakReady;
  });

  it("loads the WebAssembly keccak", function () {
    expect(fastKeccakLoaded()).to.equal(true);
  });

  it("hashes any bytes as ethers' keccak256 does (0 to 300 bytes, 500 runs)", function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hexOf(keccakBytes(data))).to.equal(keccak256(data));
      }),
      { numRuns: 500 },
    );
  });

  it("hashes pairs by position (keccak64) and sorted (hashPair) as OpenZeppelin's trees do", function () {
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(hexOf(keccak64(a, b))).to.equal(keccak256(concat([a, b])));
        const sorted = Buffer.compare(a, b) <= 0 ? concat([a, b]) : concat([b, a]);
        expect(hexOf(hashPair(a, b))).to.equal(keccak256(sorted));
        expect(hexOf(hashPair(b, a))).to.equal(keccak256(sorted));
      }),
      { numRuns: 300 },
    );
  });

  it("walks a sorted-pair proof to SimpleMerkleTree's root, and a position-bound proof to its own", function () {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), fc.nat(), (leaves, pick) => {
        const hexLeaves = leaves.map((leaf) => hexlify(leaf));
        const tree = SimpleMerkleTree.of(hexLeaves);
        const index = pick % leaves.length;
        const proof = tree.getProof(index).map((h) => wordOf(h)!);
        expect(hexOf(processProof(leaves[index], proof))).to.equal(tree.root);

        // A position-bound tree built here the plain way (odd nodes carried up unpaired is not what we test:
        // pad to a power of two with zero words).
        let level = hexLeaves.slice();
        while (level.length & (level.length - 1)) level.push(`0x${"00".repeat(32)}`);
        const siblings: Uint8Array[] = [];
        let at = index;
        while (level.length > 1) {
          siblings.push(wordOf(level[at ^ 1])!);
          const next: string[] = [];
          for (let i = 0; i < level.length; i += 2) next.push(keccak256(concat([level[i], level[i + 1]])));
          level = next;
          at >>= 1;
        }
        expect(hexOf(processIndexedProof(leaves[index], index, siblings))).to.equal(level[0]);
        if (siblings.length > 0) {
          expect(hexOf(processIndexedProof(leaves[index], index ^ 1, siblings))).to.not.equal(level[0]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("reads only 0x-prefixed 32-byte hex words", function () {
    const good = `0x${"ab".repeat(32)}`;
    expect(hexOf(wordOf(good)!)).to.equal(good);
    expect(hexOf(wordOf(good.toUpperCase().replace("0X", "0x"))!)).to.equal(good);
    for (const bad of [`0x${"ab".repeat(31)}`, `0x${"ab".repeat(33)}`, `0x${"zz".repeat(32)}`, "ab".repeat(33), ""]) {
      expect(wordOf(bad), bad).to.equal(undefined);
    }
  });

  describe("the evidence functions on it", function () {
    const mixed = getAddress("0xde709f2102306220921060314715629080e2fb77");
    const salted = keccak256("0x01");

    it("accept a checksummed or one-case address and refuse a wrong checksum as getAddress does", function () {
      const id = evidenceIdOf(1n, "INVOICE", mixed, salted);
      expect(evidenceIdOf(1n, "INVOICE", mixed.toLowerCase(), salted)).to.equal(id);
      expect(evidenceIdOf(1n, "INVOICE", `0x${mixed.slice(2).toUpperCase()}`, salted)).to.equal(id);
      const wrong = mixed.slice(0, 2) + mixed.slice(2).replace(/[a-f]/, (c) => c.toUpperCase());
      expect(() => getAddress(wrong)).to.throw(/bad address checksum/);
      expect(() => evidenceIdOf(1n, "INVOICE", wrong, salted)).to.throw(/bad address checksum/);
    });

    it("hash a salt and a content hash as keccak256(salt ‖ contentHash), of any lengths", function () {
      const salt = hexlify(new Uint8Array(32).fill(7));
      const content = keccak256("0x02");
      expect(saltedHashOf(salt, content)).to.equal(keccak256(concat([salt, content])));
      expect(saltedHashOf("0x0102", content)).to.equal(keccak256(concat(["0x0102", content])));
    });

    it("prove nothing from a malformed root or proof element, or an index the proof cannot hold", function () {
      const kind: EvidenceKind = "INVOICE";
      const ids = [1n, 2n, 3n].map((f) => evidenceIdOf(f, kind, mixed, salted));
      const tree = batchTreeOf(ids);
      const evidence = { facilityId: 1n, kind, counterparty: mixed, saltedHash: salted, evidenceId: ids[0], index: 0 };
      const proof = tree.proof(0);
      expect(provesInto(tree.root, evidence, proof)).to.equal(true);
      const upper = ids[0].toUpperCase().replace("0X", "0x");
      expect(provesInto(tree.root, { ...evidence, evidenceId: upper }, proof)).to.equal(true);
      expect(provesInto(tree.root, { ...evidence, index: 1 }, proof)).to.equal(false);
      expect(provesInto(tree.root, { ...evidence, index: 4 }, proof)).to.equal(false);
      expect(provesInto(tree.root, { ...evidence, index: -1 }, proof)).to.equal(false);
      expect(provesInto(tree.root.slice(0, 64), evidence, proof)).to.equal(false);
      expect(provesInto(tree.root, evidence, [...proof.slice(1), "0x1234"])).to.equal(false);
      expect(provesInto(tree.root, evidence, [])).to.equal(false);
    });
  });
});
