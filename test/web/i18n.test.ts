import { expect } from "chai";
import { missingFieldWords, missingTranslations, serverCodes } from "../../web/check-i18n";
import { D } from "../../web/src/dictionary";
import { blockerText, ENUMS, enumText, problemText, reasonText, refusalText } from "../../web/src/enums";
import { dayStart, metricValue } from "../../web/src/format";
import { cny, parseCny, parseCnyError } from "../../web/src/money";

/** The dashboard's words and formats without a browser: the build's check, blockers, days, statuses. */
describe("dashboard words and formats", function () {
  describe("when the build checks the translations", function () {
    it("passes on the shipped dictionaries and the server's codes", function () {
      expect(missingTranslations(D, ENUMS, serverCodes())).to.deep.equal([]);
    });

    it("reads the server's codes from its sources, blockers included", function () {
      const codes = serverCodes();
      expect(codes.kind).to.include("PURCHASE_CONTRACT");
      expect(codes.category).to.include("TESTING_CERT");
      expect(codes.blocker).to.include.members(["facility_is_frozen", "evidence_missing", "insufficient_funds"]);
    });

    it("reads the refusal codes the nodes raise and the funding statuses, so a new one fails the build", function () {
      const codes = serverCodes();
      expect(codes.problem).to.include.members([
        "review_period_invalid",
        "insufficient_float",
        "content_tampered",
        "not_signed_by_regulator",
        "borrower_not_on_record",
        "inspection_record_not_found",
        "inspection_record_of_another_firm",
        "spot_check_result_mismatch",
        "grade_required",
      ]);
      expect(codes.problem).to.not.include("custom");
      expect(codes.funding).to.deep.equal(["FUNDED", "FUNDING", "FAILED", "UNFUNDED"]);
      const { insufficient_float: _dropped, ...withoutOne } = ENUMS.problem;
      expect(missingTranslations(D, { ...ENUMS, problem: withoutOne }, codes)).to.deep.equal([
        "enums.problem.insufficient_float: the server sends it; no text",
      ]);
    });

    it("requires words for every upload form field, approval status and spot-check result", function () {
      expect(missingFieldWords(D)).to.deep.equal([]);
      const { field_supplierLicence: _dropped, ...withoutOne } = D;
      expect(missingFieldWords(withoutOne as typeof D)).to.deep.equal(["dictionary.field_supplierLicence: no text"]);
      const codes = serverCodes();
      expect(codes.status).to.include.members(["AWAITING_REGULATOR", "SUBMITTED", "APPLIED", "REFUSED"]);
      expect(codes.approvalKind).to.deep.equal(["REVIEW", "UNFREEZE"]);
      expect(codes.result).to.deep.equal(["PASS", "FAIL"]);
    });

    it("shows the regulator's refusals to co-sign and a licence mismatch in Chinese", function () {
      expect(
        refusalText("zh", "no passing re-inspection of facility 2 has been recorded since the failed spot check NB-1"),
      ).to.equal("授信 #2 自抽检不合格（NB-1）以来尚无合格的复检记录");
      expect(refusalText("zh", "something new")).to.equal("监管节点复核未通过（详见英文原文）");
      expect(refusalText("en", "something new")).to.equal("something new");
      expect(reasonText("zh", "supplier licence 9133X is not the licence of payee 0xabc (credit code 9133Y)")).to.equal(
        "供应商许可证 9133X 不是收款人 0xabc 的许可证",
      );
      expect(
        reasonText(
          "zh",
          "supplier licence 9133A is held by 9133A, but payee account 0xD5 is of firm 9133B in the regulator's registry",
        ),
      ).to.equal("供应商许可证 9133A 的持有人为 9133A，而收款账户 0xD5 在监管登记库中属于 9133B");
      expect(reasonText("zh", "inspection record R-1 is not in the regulator's registry")).to.equal(
        "检验记录 R-1 不在监管登记库中",
      );
    });

    it("fails on a missing Chinese text, an English one in its place, and a server code without an entry", function () {
      const problems = missingTranslations(
        { ok: ["正常", "Active"], empty: ["", "Empty"], english: ["Refused", "Refused"] },
        { kind: { INVOICE: ["发票", "Invoice"] } },
        { kind: ["INVOICE", "NEW_KIND"], verdict: ["ACCEPT"] },
      );
      expect(problems).to.deep.equal([
        "dictionary.empty: no Chinese text",
        'dictionary.english: "Refused" has no Chinese character',
        "enums.kind.NEW_KIND: the server sends it; no text",
        "enums.verdict: no such group for the server's codes ACCEPT",
      ]);
    });
  });

  describe("when showing a blocker in Chinese", function () {
    // The messages as server/payments/preflight.ts writes them.
    for (const [code, message, zh] of [
      [
        "facility_is_frozen",
        "facility 2 is frozen after a failed spot check; payments resume once the bank and the regulator unfreeze it together",
        "授信 #2 已因抽检不合格冻结，银行与监管共同解冻后方可恢复支付",
      ],
      ["evidence_missing", "no INVOICE has been uploaded and anchored for facility 1", "授信 #1 尚未上传并上链“发票”"],
      [
        "evidence_not_verified",
        "no verified PURCHASE_CONTRACT: document 7 (bank: ACCEPT, regulator: pending); document 3 already released another payment",
        "“采购合同”尚未通过双节点核验：文件 7（银行: 通过，监管: 待核验）；文件 3 已用于另一笔支付",
      ],
      [
        "insufficient_funds",
        "the facility holds 0.00 CNY; the payment needs 4,000,000.00 CNY",
        "授信账户余额 ¥0.00，本笔需 ¥4,000,000.00",
      ],
      [
        "payee_category_mismatch",
        "payee 0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c is now registered as SERVICES, the plan says EQUIPMENT",
        "收款人 0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c 现登记为“服务”，计划为“设备购置”",
      ],
      ["payment_already_paid", "payment 0 was already paid", "第 0 笔已支付"],
    ] as const) {
      it(`reads ${code} with its details`, function () {
        expect(blockerText("zh", { code, message })).to.equal(zh);
        expect(blockerText("en", { code, message })).to.equal(message);
      });
    }

    it("falls back to the code's Chinese text when the message changes shape, and never shows English", function () {
      expect(blockerText("zh", { code: "evidence_missing", message: "something else entirely" })).to.equal(
        "所需凭证尚未上传并上链",
      );
      expect(blockerText("zh", { code: "a_new_blocker", message: "a new reason" })).to.equal("付款条件尚未满足");
    });

    it("reads the regulator's reasons for a REJECT", function () {
      expect(reasonText("zh", "supplier licence 91330200MA2H8K3X1Y is not in the regulator's registry")).to.equal(
        "供应商许可证 91330200MA2H8K3X1Y 不在监管登记库中",
      );
      expect(reasonText("zh", "metadata.labLicence is missing: the lab licence cannot be checked")).to.equal(
        "元数据缺少 labLicence，无法核对实验室资质",
      );
    });
  });

  describe("when showing a refusal", function () {
    const refused = (status: number, body: object) => Object.assign(new Error("x"), { status, body });

    it("lists a refused payment's blockers in the chosen language", function () {
      const error = refused(409, {
        code: "facility_is_frozen",
        detail: "payment 1 of facility 2 cannot be made: …",
        blockers: [{ code: "evidence_missing", message: "no INVOICE has been uploaded and anchored for facility 2" }],
      });
      expect(problemText("zh", error)).to.equal("授信 #2 尚未上传并上链“发票”");
      expect(problemText("en", error)).to.equal("no INVOICE has been uploaded and anchored for facility 2");
    });

    it("gives a plan under the floor with its figures, a known code in words, and any other code generically", function () {
      const floor = refused(422, {
        code: "quality_share_below_floor",
        detail: "the plan puts 16.66% … the product's floor is 30.00%",
        shareBps: 1666,
        floorBps: 3000,
      });
      expect(problemText("zh", floor)).to.equal("质量用途占比 16.66% 低于产品下限 30.00%");
      expect(problemText("en", floor)).to.match(/^422 quality_share_below_floor: the plan puts 16\.66%/);
      expect(problemText("zh", refused(403, { code: "forbidden", detail: "no" }))).to.equal(
        "该角色无权执行此操作（HTTP 403）",
      );
      expect(problemText("zh", refused(409, { code: "something_new", detail: "English" }))).to.equal(
        "节点拒绝了该请求（HTTP 409）",
      );
    });
  });

  describe("when formatting", function () {
    it("shows codes in words and keeps an unknown code as it is", function () {
      expect(enumText("zh", "kind", "PURCHASE_CONTRACT")).to.equal("采购合同");
      expect(enumText("en", "verdict", "ACCEPT")).to.equal("Accepted");
      expect(enumText("zh", "status", "SOMETHING_NEW")).to.equal("SOMETHING_NEW");
    });

    it("shows review metrics as percentages, counts and grades, not basis points", function () {
      expect(metricValue("zh", "PASS_RATE_BPS", 9900)).to.equal("99.00%");
      expect(metricValue("en", "QUALITY_SPEND_SHARE_BPS", 9800)).to.equal("98.00%");
      expect(metricValue("zh", "PATENTS_ADDED", 2)).to.equal("2 项");
      expect(metricValue("en", "PATENTS_ADDED", 1)).to.equal("1 patent");
      expect(metricValue("en", "GRADE", 4)).to.equal("B");
      expect(metricValue("en", "PASS_RATE_BPS", null)).to.equal("—");
    });
  });

  describe("when reading and showing money", function () {
    it("reads a typed amount by the domain's rule, the same as the CLI's", function () {
      expect(parseCny("￥1，234.5")).to.equal("123450");
      expect(parseCny("1,00")).to.equal(null);
      expect(parseCnyError("1,00")).to.contain("groups its digits wrongly");
      expect(parseCny("1.234")).to.equal(null);
    });

    it("shows fen with the yuan sign, and a dash for no amount", function () {
      expect(cny("100000050")).to.equal("¥1,000,000.50");
      expect(cny(-5n)).to.equal("-¥0.05");
      expect(cny(null)).to.equal("—");
    });
  });

  describe("when reading a day typed in a date field", function () {
    const zone = process.env.TZ;
    afterEach(function () {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    it("takes midnight in the user's time zone", function () {
      process.env.TZ = "Asia/Shanghai";
      expect(dayStart("2026-10-01")).to.equal("2026-09-30T16:00:00.000Z");
      process.env.TZ = "UTC";
      expect(dayStart("2026-10-01")).to.equal("2026-10-01T00:00:00.000Z");
      expect(dayStart("01/10/2026")).to.equal(null);
    });
  });
});
