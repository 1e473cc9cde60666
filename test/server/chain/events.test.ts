import { expect } from "chai";
import { Interface, getAddress, id, type EventFragment, type ParamType } from "ethers";
import { hasStructuredArgs, plainArgs, reshapeStoredArgs } from "../../../server/chain/events";
import { EvidenceRegistry__factory, FacilityManager__factory, PayeeRegistry__factory } from "../../../typechain-types";

const CONTRACTS = {
  EvidenceRegistry: new Interface(EvidenceRegistry__factory.abi),
  FacilityManager: new Interface(FacilityManager__factory.abi),
  PayeeRegistry: new Interface(PayeeRegistry__factory.abi),
};

/**
 * A value of an ABI type and the JSON the indexer must store for it, with every array `length` long: a value per
 * type, so each event of each contract is exercised with 0, 1 and many array elements.
 */
function sample(type: ParamType, length: number, seed: number): { value: unknown; plain: unknown } {
  if (type.isArray()) {
    const items = Array.from({ length }, (_, i) => sample(type.arrayChildren, length, seed * 10 + i));
    return { value: items.map((item) => item.value), plain: items.map((item) => item.plain) };
  }
  if (type.isTuple()) {
    const members = type.components.map((c, i) => sample(c, length, seed * 10 + i));
    return {
      value: members.map((m) => m.value),
      plain: Object.fromEntries(type.components.map((c, i) => [c.name || String(i), members[i].plain])),
    };
  }
  if (type.baseType === "address") {
    const address = getAddress(`0x${(seed + 1).toString(16).padStart(40, "0")}`);
    return { value: address, plain: address };
  }
  if (type.baseType === "bool") return { value: seed % 2 === 0, plain: seed % 2 === 0 };
  if (type.baseType.startsWith("bytes") && type.baseType !== "bytes") {
    const hash = id(`sample ${seed}`).slice(0, 2 + 2 * Number(type.baseType.slice(5)));
    return { value: hash, plain: hash };
  }
  if (type.baseType.startsWith("uint") || type.baseType.startsWith("int")) {
    return { value: BigInt(seed + 1), plain: String(seed + 1) };
  }
  if (type.baseType === "string") return { value: `text ${seed}`, plain: `text ${seed}` };
  throw new Error(`no sample for ${type.format()}`);
}

function everyEvent(): Array<{ contract: string; iface: Interface; fragment: EventFragment }> {
  const list: Array<{ contract: string; iface: Interface; fragment: EventFragment }> = [];
  for (const [contract, iface] of Object.entries(CONTRACTS)) {
    iface.forEachEvent((fragment) => list.push({ contract, iface, fragment }));
  }
  return list;
}

describe("server/chain/events", function () {
  describe("when an event's log is decoded by the ABI", function () {
    for (const length of [0, 1, 3]) {
      it(`stores every argument of every event of every contract by name, with arrays of ${length} kept as arrays`, function () {
        let withArrays = 0;
        for (const { contract, iface, fragment } of everyEvent()) {
          const samples = fragment.inputs.map((input, i) => sample(input, length, i));
          const log = iface.encodeEventLog(
            fragment,
            samples.map((s) => s.value),
          );
          const decoded = iface.decodeEventLog(fragment, log.data, log.topics);
          const expected = Object.fromEntries(fragment.inputs.map((input, i) => [input.name, samples[i].plain]));
          expect(plainArgs(fragment, decoded), `${contract}.${fragment.format()}`).to.deep.equal(expected);
          // What the database stores is JSON: the shape must survive it.
          expect(JSON.parse(JSON.stringify(plainArgs(fragment, decoded)))).to.deep.equal(expected);
          if (hasStructuredArgs(fragment)) withArrays++;
        }
        // PaymentExecuted's evidenceIds at least: the case that broke the audit report.
        expect(withArrays).to.be.greaterThan(0);
      });
    }

    it("keeps PaymentExecuted's one evidence id as a one-element array", function () {
      const iface = CONTRACTS.FacilityManager;
      const fragment = iface.getEvent("PaymentExecuted")!;
      const payee = getAddress("0x00000000000000000000000000000000000000b2");
      const log = iface.encodeEventLog(fragment, [1n, 0n, payee, 250_000n, [id("invoice")]]);
      expect(plainArgs(fragment, iface.decodeEventLog(fragment, log.data, log.topics))).to.deep.equal({
        facilityId: "1",
        index: "0",
        payee,
        amount: "250000",
        evidenceIds: [id("invoice")],
      });
    });
  });

  describe("when arguments were stored in an earlier shape", function () {
    const fragment = CONTRACTS.FacilityManager.getEvent("PaymentExecuted")!;
    const base = { facilityId: "1", index: "0", payee: getAddress(`0x${"0b".repeat(20)}`), amount: "5" };

    it("turns an array stored as an object back into the array, in order", function () {
      expect(reshapeStoredArgs(fragment, { ...base, evidenceIds: { _: id("a") } })).to.deep.equal({
        ...base,
        evidenceIds: [id("a")],
      });
      expect(reshapeStoredArgs(fragment, { ...base, evidenceIds: { 0: id("a"), 1: id("b") } })).to.deep.equal({
        ...base,
        evidenceIds: [id("a"), id("b")],
      });
    });

    it("leaves arguments already in shape as they are", function () {
      const args = { ...base, evidenceIds: [id("a")] };
      expect(reshapeStoredArgs(fragment, args)).to.deep.equal(args);
      expect(reshapeStoredArgs(fragment, { ...base, evidenceIds: [] })).to.deep.equal({ ...base, evidenceIds: [] });
    });
  });
});
