import { expect } from "chai";
import { getAddress, hexlify, randomBytes } from "ethers";
import { authorize, can, isPartyOf, type FacilityFacts, type Resource } from "../../server/auth/policy";
import type { Principal, Role, Subject } from "../../server/auth/roles";
import { subjectFor, subjectOfRow } from "../../server/auth/subjects";
import { AppError } from "../../server/errors";

const address = () => getAddress(hexlify(randomBytes(20)));
const principal = (role: Role, subject: Subject): Principal => ({
  keyId: "k",
  role,
  institution: "i",
  label: "l",
  subject,
});

/**
 * The policy's decisions without a node: who may read and write which facility, payment and document, and the white
 * list; the node-level tenant matrix (test/server/authorization.test.ts) runs the same rules through every route.
 */
describe("the access policy", function () {
  const [borrowerA, borrowerB, payeeA, payeeB, third] = [1, 2, 3, 4, 5].map(address);
  const facilityA: FacilityFacts = { facilityId: 1n, borrower: borrowerA, payees: [payeeA, third] };
  const bank = principal("bank_officer", { kind: "institution", name: "Ningbo Bank" });
  const regulator = principal("regulator", { kind: "institution", name: "Ningbo AMR" });
  const ownBorrower = principal("borrower", { kind: "borrower", address: borrowerA, creditCode: "91330206MA2AAAAA1X" });
  const otherBorrower = principal("borrower", {
    kind: "borrower",
    address: borrowerB,
    creditCode: "91330206MA2AAAAA2X",
  });
  const ownPayee = principal("supplier", { kind: "payee", address: payeeA });
  const otherPayee = principal("supplier", { kind: "payee", address: payeeB });

  describe("when a facility's resources are asked for", function () {
    const facility: Resource = { type: "facility", facility: facilityA };
    const document: Resource = { type: "document", facility: facilityA };

    it("lets the institutions and the facility's parties (borrower, payees) read them, in any letter case", function () {
      for (const p of [bank, regulator, ownBorrower, ownPayee]) {
        expect(can(p, "read", facility), p.role).to.equal(true);
        expect(can(p, "read", document), p.role).to.equal(true);
      }
      const lower = principal("borrower", { kind: "borrower", address: borrowerA.toLowerCase(), creditCode: "x" });
      expect(can(lower, "read", facility)).to.equal(true);
    });

    it("refuses another borrower and another payee, as a 404 that does not tell the facility exists", function () {
      for (const p of [otherBorrower, otherPayee]) {
        expect(can(p, "read", facility)).to.equal(false);
        expect(can(p, "write", document)).to.equal(false);
        expect(() => authorize(p, "read", facility))
          .to.throw(AppError)
          .with.property("status", 404);
        expect(() => authorize(p, "read", document, "document d1")).to.throw("document d1");
      }
    });

    it("shows a payee only the payments to itself, and lets it change none", function () {
      const toPayeeA: Resource = { type: "payment", facility: facilityA, payee: payeeA };
      const toThird: Resource = { type: "payment", facility: facilityA, payee: third };
      expect(can(ownPayee, "read", toPayeeA)).to.equal(true);
      expect(can(ownPayee, "read", toThird)).to.equal(false);
      expect(can(ownPayee, "write", toPayeeA)).to.equal(false);
      expect(can(ownBorrower, "read", toThird)).to.equal(true);
      expect(can(otherBorrower, "read", toPayeeA)).to.equal(false);
    });
  });

  describe("when the institutions' own business or the white list is asked for", function () {
    it("keeps institutional resources to the institutions (403 to a party)", function () {
      expect(can(bank, "read", { type: "institutional" })).to.equal(true);
      expect(can(ownBorrower, "read", { type: "institutional" })).to.equal(false);
      expect(() => authorize(ownPayee, "read", { type: "institutional" }))
        .to.throw(AppError)
        .with.property("status", 403);
    });

    it("lets only the regulator edit the white list, and everyone read the catalog", function () {
      expect(can(regulator, "write", { type: "whiteList" })).to.equal(true);
      for (const p of [bank, ownBorrower, ownPayee]) expect(can(p, "write", { type: "whiteList" })).to.equal(false);
      expect(() => authorize(bank, "write", { type: "whiteList" })).to.throw("only the regulator edits it");
      for (const p of [bank, ownBorrower, otherPayee]) expect(can(p, "read", { type: "catalog" })).to.equal(true);
    });
  });

  describe("when a key's subject is set", function () {
    it("needs a borrower's address and credit code, a payee's address, and nothing for an institution", function () {
      expect(
        subjectFor("borrower", "x", { address: borrowerA.toLowerCase(), creditCode: "91330206MA2AAAAA1X" }),
      ).to.deep.equal({ kind: "borrower", address: borrowerA, creditCode: "91330206MA2AAAAA1X" });
      expect(subjectFor("supplier", "x", { address: payeeA })).to.deep.equal({ kind: "payee", address: payeeA });
      expect(subjectFor("regulator", "Ningbo AMR")).to.deep.equal({ kind: "institution", name: "Ningbo AMR" });
      expect(() => subjectFor("borrower", "x", { address: borrowerA })).to.throw("credit code");
      expect(() => subjectFor("supplier", "x")).to.throw("chain address");
      expect(() => subjectFor("supplier", "x", { address: "0x1234" })).to.throw("not a chain address");
      expect(() => subjectFor("bank_officer", "x", { address: payeeA })).to.throw("acts for its institution");
    });

    it("does not accept a borrower's or supplier's key stored without its subject (issued before subjects)", function () {
      const row = { institution: "acme", subjectKind: null, subjectAddress: null, subjectCreditCode: null };
      expect(subjectOfRow({ ...row, role: "borrower" })).to.equal(undefined);
      expect(subjectOfRow({ ...row, role: "supplier" })).to.equal(undefined);
      expect(subjectOfRow({ ...row, role: "bank_officer" })).to.deep.equal({ kind: "institution", name: "acme" });
      expect(isPartyOf({ kind: "institution", name: "acme" }, facilityA)).to.equal(false);
    });
  });
});
