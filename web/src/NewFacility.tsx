import { useState } from "react";
import type { Api } from "./api";
import { EVIDENCE_KINDS } from "../../domain/enums";
import { Card, Head, Loading, useLoad } from "./common";
import { Outcome, PayeeSelect, Send, TextField } from "./form";
import { useT } from "./i18n";
import { cny, parseCny, pct, shareOf } from "./money";

const GRADES = ["A", "B", "C", "D", "E"];

interface PlanRow {
  key: number;
  payee: string;
  amount: string;
  quality: boolean;
  evidence: string[];
}

let nextKey = 0;
const newRow = (): PlanRow => ({ key: nextKey++, payee: "", amount: "", quality: false, evidence: ["INVOICE"] });

/** The latest version of each product: GET /products lists every version. */
function latestProducts(items: any[]): any[] {
  const byId = new Map<string, any>();
  for (const p of items) if (!byId.has(p.id) || byId.get(p.id).version < p.version) byId.set(p.id, p);
  return [...byId.values()];
}

/**
 * Bank officer: POST /facilities. The borrower comes from the white list (name, credit code; grade from the list) or
 * by hand with a grade; amounts are typed in CNY and sent as exact fen strings; the quality-purpose share of the plan
 * is shown live against the product's floor (the server has the last word and its refusal is shown as it says it).
 */
export function NewFacilityForm({
  api,
  onCreated,
  onCancel,
}: {
  api: Api;
  onCreated: (facilityId: string) => void;
  onCancel: () => void;
}) {
  const { t, lang, e: enumOf, problem } = useT();
  const { data, error } = useLoad(
    () =>
      Promise.all([
        api.get("/whitelist"),
        api.get("/payees?active=true"),
        api.get("/products").catch(() => ({ items: [] })),
      ]),
    [],
  );
  const [productId, setProductId] = useState("yongzhidai");
  const [firm, setFirm] = useState("");
  const [borrower, setBorrower] = useState("");
  const [borrowerName, setBorrowerName] = useState("");
  const [creditCode, setCreditCode] = useState("");
  const [grade, setGrade] = useState("");
  const [limit, setLimit] = useState("");
  const [rows, setRows] = useState<PlanRow[]>(() => [newRow()]);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  if (!data) return <Loading error={error} />;
  const [whitelist, payees, products] = data;
  const firms: any[] = whitelist.items;
  const activePayees: any[] = payees.items.filter((p: any) => p.active !== false);
  const productList = latestProducts(products.items);
  const product = productList.find((p) => p.id === productId);
  const floorBps: number = product?.qualityFloorBps ?? 3000;
  const listed = firms.find((w) => w.creditCode === creditCode.trim());
  const payeeOf = (address: string) => activePayees.find((p) => p.address === address);

  const update = (key: number, change: Partial<PlanRow>) =>
    setRows((all) => all.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const pickFirm = (code: string) => {
    setFirm(code);
    const w = firms.find((f) => f.creditCode === code);
    setBorrowerName(w?.name ?? "");
    setCreditCode(w?.creditCode ?? "");
  };

  // The live share, in exact fen: rows whose amount does not parse count as 0.
  const fen = rows.map((r) => parseCny(r.amount));
  const total = fen.reduce((s, f) => s + BigInt(f ?? 0), 0n);
  const quality = rows.reduce((s, r, i) => s + (r.quality ? BigInt(fen[i] ?? 0) : 0n), 0n);
  const shareBps = total > 0n ? shareOf(quality, total) : null;
  const limitFen = parseCny(limit);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!limitFen || fen.some((f) => !f)) return setMessage({ ok: false, text: t("badAmount") });
    setBusy(true);
    setMessage(undefined);
    try {
      const created = await api.post("/facilities", {
        productId,
        borrower: borrower.trim(),
        borrowerName: borrowerName.trim(),
        creditCode: creditCode.trim(),
        ...(listed || !grade ? {} : { grade }),
        creditLimit: limitFen,
        plan: rows.map((r, i) => ({
          payee: r.payee,
          category: payeeOf(r.payee)?.category ?? "",
          amount: fen[i],
          qualityPurpose: r.quality,
          requiredEvidence: r.evidence,
        })),
      });
      if (created.facilityId) return onCreated(created.facilityId);
      setMessage({ ok: true, text: `${t("accepted")} ${created.applicationId}` });
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title={t("newFacility")} testId="new-facility">
      <form onSubmit={submit}>
        <div className="form">
          {productList.length > 1 && (
            <label>
              {t("product")}
              <select name="productId" value={productId} onChange={(e) => setProductId(e.target.value)}>
                {productList.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name?.[lang] ?? p.id}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            {t("firm")}
            <select name="firm" value={firm} onChange={(e) => pickFirm(e.target.value)}>
              <option value="">{t("notListed")}</option>
              {firms.map((w) => (
                <option key={w.creditCode} value={w.creditCode}>
                  {w.name} · {w.grade}
                </option>
              ))}
            </select>
          </label>
          <TextField label={t("borrowerName")} name="borrowerName" value={borrowerName} onText={setBorrowerName} />
          <TextField
            label={t("creditCode")}
            name="creditCode"
            value={creditCode}
            maxLength={18}
            size={20}
            onText={(text) => setCreditCode(text.toUpperCase())}
          />
          <label>
            {listed ? t("grade") : t("gradeIfNotListed")}
            {listed ? (
              <input value={listed.grade} disabled size={3} />
            ) : (
              <select name="grade" value={grade} onChange={(e) => setGrade(e.target.value)}>
                <option value="">—</option>
                {GRADES.map((g) => (
                  <option key={g}>{g}</option>
                ))}
              </select>
            )}
          </label>
          <TextField
            label={t("borrowerAddress")}
            name="borrower"
            value={borrower}
            size={44}
            placeholder="0x…"
            onText={setBorrower}
          />
          <TextField
            label={t("limitCny")}
            name="creditLimit"
            value={limit}
            placeholder="5,000,000.00"
            className={limit && !limitFen ? "invalid" : undefined}
            onText={setLimit}
          >
            <span className="muted">{limitFen ? cny(limitFen) : ""}</span>
          </TextField>
        </div>
        <div className="scroll">
          <table className="plan-editor">
            <Head columns={["#", "payee", "category", "amountCny", "quality", "requiredEvidence", ""]} />
            <tbody>
              {rows.map((r, i) => (
                <tr key={r.key} data-testid={`plan-row-${i}`}>
                  <td>{i}</td>
                  <td>
                    <PayeeSelect
                      name="payee"
                      value={r.payee}
                      payees={activePayees}
                      onPick={(payee) => update(r.key, { payee })}
                    />
                  </td>
                  <td>{payeeOf(r.payee) ? enumOf("category", payeeOf(r.payee).category) : "—"}</td>
                  <td>
                    <input
                      name="amount"
                      value={r.amount}
                      size={14}
                      className={r.amount && !fen[i] ? "invalid" : undefined}
                      onChange={(e) => update(r.key, { amount: e.target.value })}
                    />
                  </td>
                  <td>
                    <input
                      name="qualityPurpose"
                      type="checkbox"
                      checked={r.quality}
                      onChange={(e) => update(r.key, { quality: e.target.checked })}
                    />
                  </td>
                  <td>
                    <div className="kinds">
                      {EVIDENCE_KINDS.map((k) => (
                        <label key={k}>
                          <input
                            type="checkbox"
                            name={`evidence-${k}`}
                            checked={r.evidence.includes(k)}
                            onChange={(e) =>
                              update(r.key, {
                                evidence: e.target.checked
                                  ? EVIDENCE_KINDS.filter((x) => x === k || r.evidence.includes(x))
                                  : r.evidence.filter((x) => x !== k),
                              })
                            }
                          />
                          {enumOf("kind", k)}
                        </label>
                      ))}
                    </div>
                  </td>
                  <td>
                    {rows.length > 1 && (
                      <button
                        type="button"
                        name="removeRow"
                        onClick={() => setRows((all) => all.filter((x) => x.key !== r.key))}
                      >
                        {t("removeRow")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="form">
          <button type="button" name="addRow" onClick={() => setRows((all) => [...all, newRow()])}>
            + {t("addRow")}
          </button>
          <span>
            {t("planTotal")}: <b>{cny(total)}</b>
          </span>
          <span
            data-testid="quality-share"
            className={shareBps === null ? "muted" : shareBps >= floorBps ? "ok" : "error"}
          >
            {t("qualityShare")}: <b>{shareBps === null ? "—" : pct(shareBps)}</b> ({t("floor")} ≥ {pct(floorBps)})
          </span>
          <div className="spacer" />
          <button type="button" onClick={onCancel}>
            {t("cancel")}
          </button>
          <Send type="submit" busy={busy} label={t("createFacility")} />
        </div>
        <Outcome message={message} testId="new-facility-result" />
      </form>
    </Card>
  );
}
