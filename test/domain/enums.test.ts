import { expect } from "chai";
import { artifacts } from "hardhat";
import { CONTRACT_ENUMS, EVIDENCE_KINDS, enumName, facilityStatusOf, kindsOfMask } from "../../domain/enums";

interface AstNode {
  nodeType?: string;
  canonicalName?: string;
  members?: Array<{ name: string }>;
  [key: string]: unknown;
}

/** Every enum the project's contracts declare, by canonical name, with its members in order (from the compiler's AST). */
async function contractEnums(): Promise<Map<string, string[]>> {
  const enums = new Map<string, string[]>();
  const names = (await artifacts.getAllFullyQualifiedNames()).filter((name) => name.startsWith("contracts/"));
  const seen = new Set<string>();
  for (const name of names) {
    const buildInfo = await artifacts.getBuildInfo(name);
    if (!buildInfo || seen.has(buildInfo.id)) continue;
    seen.add(buildInfo.id);
    for (const [source, { ast }] of Object.entries(buildInfo.output.sources)) {
      if (!source.startsWith("contracts/")) continue;
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (!node || typeof node !== "object") return;
        const n = node as AstNode;
        if (n.nodeType === "EnumDefinition")
          enums.set(
            n.canonicalName!,
            n.members!.map((m) => m.name),
          );
        for (const value of Object.values(n)) if (value && typeof value === "object") walk(value);
      };
      walk(ast);
    }
  }
  return enums;
}

/** The enum types the deployable contracts' ABIs use ("enum IFacilityManager.Status"), by canonical name. */
async function abiEnums(): Promise<Set<string>> {
  const used = new Set<string>();
  const visit = (param: { internalType?: string; components?: unknown[] }) => {
    const match = /^enum ([\w.]+)/.exec(param.internalType ?? "");
    if (match) used.add(match[1]);
    for (const component of (param.components ?? []) as Array<typeof param>) visit(component);
  };
  for (const name of await artifacts.getAllFullyQualifiedNames()) {
    if (!name.startsWith("contracts/") || name.startsWith("contracts/test/")) continue;
    for (const item of (await artifacts.readArtifact(name)).abi)
      for (const param of [...(item.inputs ?? []), ...(item.outputs ?? [])]) visit(param);
  }
  return used;
}

describe("domain enums", function () {
  let declared: Map<string, string[]>;
  before(async function () {
    declared = await contractEnums();
  });

  describe("when compared with the compiled contracts", function () {
    it("finds the contracts' enums in the compiler's output", function () {
      expect(declared.size).to.be.greaterThan(0);
    });

    for (const [name, members] of Object.entries(CONTRACT_ENUMS)) {
      it(`mirrors ${name} name for name, in order`, function () {
        expect(declared.get(name), `${name} is not declared in contracts/`).to.deep.equal([...members]);
      });
    }

    it("mirrors every enum the contracts declare (a new one needs its tuple in domain/enums.ts)", function () {
      const missing = [...declared.keys()].filter((name) => !(name in CONTRACT_ENUMS));
      expect(missing, "enums with no tuple in domain/enums.ts").to.deep.equal([]);
    });

    it("mirrors every enum the contracts' ABIs carry", async function () {
      const missing = [...(await abiEnums())].filter((name) => !(name in CONTRACT_ENUMS));
      expect(missing).to.deep.equal([]);
    });
  });

  describe("when decoding values from the chain", function () {
    it("names a status by its uint8, as bigint or number", function () {
      expect(facilityStatusOf(2n)).to.equal("FROZEN");
      expect(facilityStatusOf(3)).to.equal("CLOSED");
      expect(enumName(CONTRACT_ENUMS["IEvidenceRegistry.Verdict"], "1", "verdict")).to.equal("ACCEPT");
    });

    for (const value of [4n, -1, 1.5, "0x1", "", null]) {
      it(`refuses ${String(value)} rather than guessing a name`, function () {
        expect(() => enumName(CONTRACT_ENUMS["IFacilityManager.Status"], value, "facility status")).to.throw(
          `unknown facility status ${String(value)}`,
        );
      });
    }

    it("reads a required-kinds mask bit by bit in enum order", function () {
      expect(kindsOfMask(0b1000001)).to.deep.equal(["PURCHASE_CONTRACT", "SPOT_CHECK_REPORT"]);
      expect(kindsOfMask(0)).to.deep.equal([]);
      expect(kindsOfMask(2 ** EVIDENCE_KINDS.length - 1)).to.deep.equal([...EVIDENCE_KINDS]);
    });
  });
});
