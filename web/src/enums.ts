/**
 * Every code the nodes send that people read — categories, evidence kinds, verdicts, statuses, spot-check results,
 * approval kinds, review metrics, payment blockers and refusal codes — as [中文, English]. web/check-i18n.ts (run by
 * npm run build:web) fails the build when a code the server defines has no entry here, or an entry has no Chinese.
 */
export type Lang = "zh" | "en";
type Entry = readonly [zh: string, en: string];

export const ENUMS = {
  category: {
    EQUIPMENT: ["设备购置", "Equipment"],
    TESTING_CERT: ["检测认证", "Testing and certification"],
    MATERIALS: ["原材料", "Materials"],
    R_AND_D: ["研发", "R&D"],
    SERVICES: ["服务", "Services"],
  },
  kind: {
    PURCHASE_CONTRACT: ["采购合同", "Purchase contract"],
    INVOICE: ["发票", "Invoice"],
    DELIVERY_NOTE: ["送货单", "Delivery note"],
    INSPECTION_REPORT: ["检验报告", "Inspection report"],
    CERTIFICATION: ["认证证书", "Certification"],
    PATENT_FILING: ["专利申请", "Patent filing"],
    SPOT_CHECK_REPORT: ["抽检报告", "Spot-check report"],
  },
  verdict: {
    NONE: ["待核验", "Pending"],
    PENDING: ["待核验", "Pending"],
    ACCEPT: ["通过", "Accepted"],
    REJECT: ["驳回", "Rejected"],
  },
  status: {
    ACTIVE: ["正常", "Active"],
    FROZEN: ["已冻结", "Frozen"],
    CLOSED: ["已结清", "Closed"],
    CREATING: ["上链中", "Being created"],
    PENDING: ["处理中", "Pending"],
    CONFIRMED: ["已上链", "On chain"],
    AWAITING_REGULATOR: ["待监管会签", "Awaiting the regulator"],
    SUBMITTED: ["已提交上链", "Submitted"],
    APPLIED: ["已生效", "Applied"],
    REFUSED: ["已拒绝", "Refused"],
    FAILED: ["失败", "Failed"],
    UNRESOLVED: ["无法解析（低频重试中）", "Unresolved (retried at low frequency)"],
    QUEUED: ["待锚定", "Queued for anchoring"],
    BATCHED: ["锚定中", "Being anchored"],
    ANCHORED: ["已锚定", "Anchored"],
  },
  /** Where a facility's funding stands (the facility detail's funding.status). */
  funding: {
    FUNDED: ["已足额注资", "Funded"],
    FUNDING: ["注资中", "Funding on its way"],
    FAILED: ["注资失败", "Funding failed"],
    UNFUNDED: ["未注资", "Not funded"],
  },
  result: {
    PASS: ["合格", "Pass"],
    FAIL: ["不合格", "Fail"],
  },
  approvalKind: {
    REVIEW: ["季度评审", "Quarterly review"],
    UNFREEZE: ["解除冻结", "Unfreeze"],
  },
  metric: {
    PATENTS_ADDED: ["新增专利数", "Patents added"],
    PASS_RATE_BPS: ["产品合格率", "Product pass rate"],
    QUALITY_SPEND_SHARE_BPS: ["质量用途资金占比", "Quality-purpose share of spending"],
    GRADE: ["质量等级", "Quality grade"],
  },
  /** Why an entrusted payment cannot be made yet (GET …/readiness and a refused payment's blockers). */
  blocker: {
    facility_is_frozen: ["授信已因抽检不合格冻结，银行与监管共同解冻后方可支付", "The facility is frozen"],
    facility_is_closed: ["授信已结清", "The facility is closed"],
    payment_already_paid: ["该笔已支付", "Already paid"],
    payee_not_registered: ["收款人未登记", "The payee is not registered"],
    payee_inactive: ["收款人已停用", "The payee is deactivated"],
    payee_category_mismatch: ["收款人登记类别与计划不符", "The payee's category differs from the plan"],
    insufficient_funds: ["授信账户余额不足", "The facility does not hold enough"],
    evidence_missing: ["所需凭证尚未上传并上链", "Required evidence not uploaded"],
    evidence_not_verified: ["所需凭证尚未通过双节点核验", "Required evidence not verified by both nodes"],
    evidence_not_usable: [
      "现有凭证不能用于本笔支付（交易对手不符、已使用或未核验）",
      "No usable evidence (another counterparty, already used or not verified)",
    ],
  },
  /** Refusals (problem+json codes) people meet in the dashboard; any other code reads as a generic refusal. */
  problem: {
    validation_failed: ["输入有误", "Invalid input"],
    invalid_plan: ["支付计划不符合产品要求", "The plan does not meet the product's rules"],
    approval_pending: ["已有一项同类决定待监管会签", "A decision of this kind already awaits the regulator"],
    approval_not_pending: ["该决定已不在待会签状态", "The decision no longer awaits a co-signature"],
    regulator_refused: ["监管节点复核未通过，拒绝会签", "The regulator node's own check refused it"],
    facility_not_frozen: ["授信未冻结", "The facility is not frozen"],
    payee_already_registered: ["收款人已登记", "The payee is already registered"],
    unauthorized: ["密钥无效或缺失", "Missing or invalid API key"],
    facility_not_found: ["授信不存在", "No such facility"],
    facility_closed: ["授信已结清，不再接收凭证", "The facility is closed"],
    counterparty_required: ["请指明该凭证对应的收款人", "Name the payee this document is with"],
    counterparty_not_payee: ["该收款人不在本授信的支付计划中", "Not a payee of this facility's plan"],
    counterparty_not_borrower: ["该类凭证应载明借款企业", "This kind of document names the borrower"],
    not_your_facility: ["无权为该授信提交凭证", "Not your facility"],
    not_your_document: ["只能提交载明本企业的凭证", "Only documents naming yourself"],
    document_duplicate: ["同一文件已上传过，一份凭证只能使用一次", "The same document was already uploaded"],
    document_business_duplicate: [
      "同一开票方的同一单据号已上传过，一份凭证只能使用一次",
      "The same invoice or contract number was already uploaded",
    ],
    forbidden: ["该角色无权执行此操作", "This role may not do that"],
    not_found: ["未找到", "Not found"],
    rate_limited: ["请求过于频繁，请稍后再试", "Too many requests; try again shortly"],
    file_too_large: ["文件过大", "The file is too large"],
    upload_too_large: ["上传内容过大", "The upload is too large"],
    payload_too_large: ["请求内容过大", "The request is too large"],
    empty_file: ["文件为空", "The file is empty"],
    unsupported_media_type: ["不支持的文件类型", "Unsupported file type"],
    bank_node_unreachable: ["无法连接银行节点", "The bank node cannot be reached"],
    internal_error: ["节点内部错误", "Internal error in the node"],
    quality_share_below_floor: ["质量用途占比低于产品下限", "The quality-purpose share is below the product's floor"],
    plan_exceeds_limit: ["支付计划合计超过授信额度", "The plan totals more than the credit limit"],
    grade_required: ["借款企业不在质量白名单，请填写等级", "Not on the white list: give the grade"],
    invalid_multipart: ["上传格式有误", "Malformed upload"],
    malformed_json: ["请求内容不是有效的 JSON", "The request is not valid JSON"],
    not_ready: ["节点尚未就绪", "The node is not ready"],
    registry_record_exists: ["登记记录已存在", "The registry record exists already"],
    review_period_invalid: [
      "评审期间须从授信开立或上次已生效评审的结束时间开始，且不得晚于链上当前时间",
      "The review period must start at the facility's opening or the last applied review's end, and not pass the chain's time",
    ],
    insufficient_float: ["银行节点账户余额不足，无法为授信注资", "The bank node's account is short of the funding"],
    credit_code_taken: [
      "该统一社会信用代码已登记在另一收款方或借款人账户名下",
      "This unified social credit code is already on file for another payee or borrower account",
    ],
    borrower_credit_code_mismatch: [
      "该借款人账户已以另一统一社会信用代码登记",
      "This borrower account is on file under another unified social credit code",
    ],
    content_tampered: [
      "存储的文件已被篡改，与上链哈希不符",
      "The stored file was tampered with: it no longer matches its hash",
    ],
    content_missing: ["存储的文件已丢失", "The stored file is missing"],
    not_signed_by_regulator: ["白名单条目未经监管签名", "White-list entries not signed by the regulator"],
    signer_not_regulator: ["签名者不具有链上监管角色", "The signer does not hold the regulator role on chain"],
    upload_quota_exceeded: ["上传额度已用完，请稍后再试", "Upload quota used up; try again later"],
    invalid_cursor: [
      "分页游标无效，请从第一页重新开始",
      "The page cursor names no item of the list; start from the first page",
    ],
    borrower_not_on_record: ["借款企业不在监管登记记录中", "The borrower is not on the regulator's records"],
    inspection_record_not_found: [
      "监管登记库中没有该检验记录，请先登记",
      "The inspection record is not in the regulator's registry",
    ],
    inspection_record_of_another_firm: ["该检验记录属于其他企业", "The inspection record is of another firm"],
    spot_check_result_mismatch: ["抽检结果与检验记录不符", "The spot-check result differs from the inspection record"],
    facility_is_closed: ["授信已结清", "The facility is closed"],
    facility_is_frozen: ["授信已冻结，资金不得变动", "The facility is frozen: its money does not move"],
    zero_amount: ["金额须大于零", "The amount must be more than zero"],
    nothing_owed: ["当前无应还（应付）金额", "Nothing is owed (or due) now"],
    repayment_exceeds_debt: ["还款金额超过应还本息", "More than the principal and interest owed"],
    subsidy_exceeds_due: ["贴息金额超过应付贴息", "More than the subsidy due"],
    payer_signature_invalid: [
      "签名不是付款方本人的（或订单已过期失效，请重新生成并签署）",
      "Not signed by the payer (or prepared before another order: prepare and sign again)",
    ],
    order_expired: ["签署的付款指令已过期，请重新生成", "The signed order expired: prepare it again"],
    payer_insufficient_balance: ["付款账户余额不足", "The payer's account holds too little"],
    outstanding_debt: ["尚有未还本金或利息，不能结清", "Principal or interest is still owed"],
    treasury_not_set: ["治理机构尚未设定资金归集账户", "Governance has not set a treasury"],
    insufficient_funds: ["授信账户余额不足", "The facility does not hold enough"],
    facility_not_indexed: ["链上尚无该授信的开立记录", "The facility has no creation event on chain yet"],
    unknown_product: ["贷款产品未定义", "The loan product is not defined"],
    not_anchored_yet: ["文件尚未上链", "The document is not anchored yet"],
    documents_mismatch: ["文件数量与说明不符", "The files and their descriptions do not match"],
    content_type_mismatch: ["文件内容与声明的类型不符", "The file's content differs from its declared type"],
    idempotency_key_reused: ["幂等键已用于另一次上传", "The Idempotency-Key was used for another upload"],
    file_missing: ["未附文件", "No file attached"],
    invalid_file_name: ["文件名无效", "Invalid file name"],
    licence_missing: ["缺少许可证", "The licence is missing"],
    licence_document_not_found: ["许可证文件不存在", "The licence document was not found"],
    invalid_signature: ["签名无效", "Invalid signature"],
    invalid_white_list: ["白名单格式有误", "Invalid white list"],
    empty_white_list: ["白名单为空", "The white list is empty"],
    unsupported_encoding: ["不支持的编码", "Unsupported encoding"],
    route_not_found: ["接口不存在", "No such route"],
    bank_node_error: ["银行节点出错", "The bank node failed"],
    regulator_node_unreachable: ["无法连接监管节点", "The regulator node cannot be reached"],
    chain_unavailable: ["区块链节点暂不可用", "The chain node is unavailable"],
    database_unavailable: ["数据库暂不可用", "The database is unavailable"],
  },
} as const satisfies Record<string, Record<string, Entry>>;

export type EnumGroup = keyof typeof ENUMS;

/** A code in people's words; an unknown code stays as it is (the build check keeps the server's codes covered). */
export function enumText(lang: Lang, group: EnumGroup, code: string | null | undefined): string {
  if (code === null || code === undefined) return "—";
  const entry = (ENUMS[group] as Record<string, Entry>)[code];
  return entry ? entry[lang === "zh" ? 0 : 1] : code;
}

const kindZh = (kind: string) => enumText("zh", "kind", kind);
const verdictZh = (text: string) =>
  text
    .replace(/\bbank\b/g, "银行")
    .replace(/\bregulator\b/g, "监管")
    .replace(/\bpending\b/g, "待核验")
    .replace(/\bACCEPT\b/g, "通过")
    .replace(/\bREJECT\b/g, "驳回")
    .replace(/, /g, "，");

/** A blocker's details, read from its English message, in Chinese; null when the message has another shape. */
const BLOCKER_ZH: Record<string, (message: string) => string | null> = {
  facility_is_frozen: (m) => {
    const id = /facility (\d+)/.exec(m)?.[1];
    return id ? `授信 #${id} 已因抽检不合格冻结，银行与监管共同解冻后方可恢复支付` : null;
  },
  facility_is_closed: (m) => (/facility (\d+)/.exec(m) ? `授信 #${/facility (\d+)/.exec(m)![1]} 已结清` : null),
  payment_already_paid: (m) => (/payment (\d+)/.exec(m) ? `第 ${/payment (\d+)/.exec(m)![1]} 笔已支付` : null),
  payee_not_registered: (m) =>
    /payee (0x[0-9a-fA-F]+)/.exec(m) ? `收款人 ${/payee (0x\w+)/.exec(m)![1]} 未登记` : null,
  payee_inactive: (m) => (/payee (0x[0-9a-fA-F]+)/.exec(m) ? `收款人 ${/payee (0x\w+)/.exec(m)![1]} 已停用` : null),
  payee_category_mismatch: (m) => {
    const x = /payee (0x\w+) is now registered as (\w+), the plan says (\w+)/.exec(m);
    return x
      ? `收款人 ${x[1]} 现登记为“${enumText("zh", "category", x[2])}”，计划为“${enumText("zh", "category", x[3])}”`
      : null;
  },
  insufficient_funds: (m) => {
    const x = /holds ([\d,.]+) CNY; the payment needs ([\d,.]+) CNY/.exec(m);
    return x ? `授信账户余额 ¥${x[1]}，本笔需 ¥${x[2]}` : null;
  },
  evidence_missing: (m) => {
    const x =
      /no (\w+)(?: naming (?:payee (0x\w+)|the borrower))? has been uploaded and anchored for facility (\d+)/.exec(m);
    if (!x) return null;
    const naming = x[2] ? `（须写明收款人 ${x[2]}）` : /naming the borrower/.test(m) ? "（须写明借款人）" : "";
    return `授信 #${x[3]} 尚未上传并上链“${kindZh(x[1])}”${naming}`;
  },
  evidence_not_usable: (m) => {
    const x = /^no usable (\w+): (.*)$/.exec(m);
    if (!x) return null;
    const docs = x[2].split("; ").map((part) => {
      const d = /^document (\S+): (.*)$/.exec(part);
      if (!d) return null;
      const why = d[2];
      if (/already released another payment/.test(why)) return `文件 ${d[1]} 已用于另一笔支付`;
      if (/^it names .*payee/.test(why)) return `文件 ${d[1]} 写明的不是本笔收款人`;
      if (/^it names .*borrower/.test(why)) return `文件 ${d[1]} 写明的不是本授信借款人`;
      if (/^it is evidence for facility/.test(why)) return `文件 ${d[1]} 属于其他授信`;
      if (/not anchored/.test(why)) return `文件 ${d[1]} 尚未上链`;
      const v = /^it is not verified \((.*)\)$/.exec(why);
      if (v) return `文件 ${d[1]} 尚未通过双节点核验（${verdictZh(v[1])}）`;
      return `文件 ${d[1]} 与链上记录不符`;
    });
    const known = docs.filter((d): d is string => d !== null);
    return `“${kindZh(x[1])}”暂无可用文件${known.length ? `：${known.join("；")}` : ""}`;
  },
  evidence_not_verified: (m) => {
    const x = /^no verified (\w+): (.*)$/.exec(m);
    if (!x) return null;
    const docs = x[2].split("; ").map((part) => {
      let d = /^document (\S+) already released another payment$/.exec(part);
      if (d) return `文件 ${d[1]} 已用于另一笔支付`;
      d = /^document (\S+) \((.*)\)$/.exec(part);
      if (d) return `文件 ${d[1]}（${verdictZh(d[2])}）`;
      d = /^document (\S+): /.exec(part);
      if (d) return `文件 ${d[1]} 与链上记录不符`;
      return null;
    });
    const known = docs.filter((d): d is string => d !== null);
    return `“${kindZh(x[1])}”尚未通过双节点核验${known.length ? `：${known.join("；")}` : ""}`;
  },
};

/** A blocker in people's words: the server's message in English; in Chinese its details where they can be read. */
export function blockerText(lang: Lang, blocker: { code: string; message: string }): string {
  if (lang === "en") return blocker.message;
  return (
    BLOCKER_ZH[blocker.code]?.(blocker.message) ??
    (hasBlocker(blocker.code) ? enumText("zh", "blocker", blocker.code) : "付款条件尚未满足")
  );
}

/** Whether a code has a Chinese blocker text (for the build check). */
export const hasBlocker = (code: string) => code in ENUMS.blocker;

const WHAT_ZH: Record<string, string> = {
  "supplier licence": "供应商许可证",
  "lab licence": "实验室资质",
  "certification body licence": "认证机构资质",
  "patent filing": "专利申请",
  "inspection record": "检验记录",
};

/** A verifier's reason for a REJECT, in Chinese where its shape is known; otherwise a generic reason. */
export function reasonText(lang: Lang, reason: string | null | undefined): string {
  if (!reason) return "";
  if (lang === "en") return reason;
  let m = /^metadata\.(\w+) is missing: the (.+) cannot be checked$/.exec(reason);
  if (m) return `元数据缺少 ${m[1]}，无法核对${WHAT_ZH[m[2]] ?? "登记信息"}`;
  m = /^(.+?) (\S+) is not in the regulator's registry$/.exec(reason);
  if (m) return `${WHAT_ZH[m[1]] ?? "登记信息"} ${m[2]} 不在监管登记库中`;
  m = /^(.+?) (\S+) is held by (\S+), but payee account (\S+) is of firm (\S+) in the regulator's registry$/.exec(
    reason,
  );
  if (m)
    return `${WHAT_ZH[m[1]] ?? "登记信息"} ${m[2]} 的持有人为 ${m[3]}，而收款账户 ${m[4]} 在监管登记库中属于 ${m[5]}`;
  m = /^payee account (\S+) is not in the regulator's registry/.exec(reason);
  if (m) return `收款账户 ${m[1]} 不在监管登记库中，无法与许可证对应`;
  m = /^(.+?) (\S+) records no holder credit code$/.exec(reason);
  if (m) return `${WHAT_ZH[m[1]] ?? "登记信息"} ${m[2]} 未登记持有人信用代码`;
  m = /^patent (\S+) is held by (.+) in the regulator's registry, not by the borrower (\S+)$/.exec(reason);
  if (m) return `专利 ${m[1]} 在监管登记库中不属于借款企业 ${m[3]}`;
  m = /^inspection record (\S+) is of firm (\S+), not of the borrower (\S+)$/.exec(reason);
  if (m) return `检验记录 ${m[1]} 属于 ${m[2]}，不是借款企业 ${m[3]} 的`;
  m = /^inspection record (\S+) is not in the regulator's registry$/.exec(reason);
  if (m) return `检验记录 ${m[1]} 不在监管登记库中`;
  if (/^the document names no (payee account|counterparty)$/.test(reason)) return "文件未写明收款人";
  m = /^(\S+) is not a payee of facility (\d+)'s plan$/.exec(reason);
  if (m) return `${m[1]} 不是授信 #${m[2]} 支付计划中的收款人`;
  m = /is already the identity of document (\S+): one document, one use$/.exec(reason);
  if (m) return `与文件 ${m[1]} 为同一单据：一份凭证只能使用一次`;
  m = /^supplier licence (\S+) is not the licence of payee (\S+)/.exec(reason);
  if (m) return `供应商许可证 ${m[1]} 不是收款人 ${m[2]} 的许可证`;
  if (reason.startsWith("document not available")) return "无法从银行节点取得文件";
  if (reason.startsWith("tampered")) return "文件已被篡改：内容与上链哈希不符";
  if (reason.includes("leaf is not in the anchored root")) return "银行提交的叶子不在上链的默克尔根中";
  return "核验未通过（详见英文原文）";
}

/** A refused request (the dashboard's ApiError: { status, body: problem+json }) in people's words. */
export function problemText(lang: Lang, error: unknown): string {
  const e = error as { status?: unknown; body?: any; message?: string } | null;
  if (!e || typeof e !== "object" || typeof e.status !== "number")
    return lang === "zh" ? `请求失败：${String(error)}` : String(error);
  const body = e.body ?? {};
  const blockers: Array<{ code: string; message: string }> = Array.isArray(body.blockers) ? body.blockers : [];
  if (blockers.length > 0) return blockers.map((b) => blockerText(lang, b)).join(lang === "zh" ? "；" : "; ");
  if (lang === "en") return `${e.status} ${body.code ?? ""}: ${body.detail ?? e.message ?? ""}`;
  if (body.code === "quality_share_below_floor" && typeof body.shareBps === "number")
    return `质量用途占比 ${(body.shareBps / 100).toFixed(2)}% 低于产品下限 ${(Number(body.floorBps) / 100).toFixed(2)}%`;
  const known = body.code && body.code in ENUMS.problem ? enumText("zh", "problem", body.code) : "节点拒绝了该请求";
  const fields = Array.isArray(body.errors) ? body.errors.map((x: { path: string }) => x.path).join("，") : "";
  return `${known}（HTTP ${e.status}）${fields ? `：${fields}` : ""}`;
}

/**
 * The regulator node's reason for refusing to co-sign a joint decision (free text from its own checks), in Chinese
 * where its shape is known; otherwise a generic refusal (the English original is on the element's title).
 */
export function refusalText(lang: Lang, reason: string | null | undefined): string {
  if (!reason) return "";
  if (lang === "en") return reason;
  let m = /^facility (\d+) is not frozen$/.exec(reason);
  if (m) return `授信 #${m[1]} 未冻结`;
  m = /^no passing re-inspection of facility (\d+) has been recorded since the failed spot check(?: (\S+))?$/.exec(
    reason,
  );
  if (m) return `授信 #${m[1]} 自抽检不合格${m[2] ? `（${m[2]}）` : ""}以来尚无合格的复检记录`;
  m =
    /^the re-inspection (\S+) is not a passing inspection record of the borrower (\S+) in the regulator's registry$/.exec(
      reason,
    );
  if (m) return `复检报告 ${m[1]} 不是借款企业 ${m[2]} 在监管登记库中的合格检验记录`;
  m = /^the proposal names freeze (\d+); the current freeze is (\d+)$/.exec(reason);
  if (m) return `提议针对第 ${m[1]} 次冻结，当前为第 ${m[2]} 次冻结`;
  if (/report hash/.test(reason)) return "评审报告哈希与签署内容不符";
  if (/its next review is/.test(reason)) return "评审序号与链上下一次评审不符";
  return "监管节点复核未通过（详见英文原文）";
}
