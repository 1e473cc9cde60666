import { useState } from "react";
import type { Api } from "./api";
import { useLoad } from "./common";
import { useT } from "./i18n";
import { cny, shortAddress } from "./money";

export function PaymentRow({
  api,
  facilityId,
  p,
  payeeName,
  canPay,
  funding,
  refresh,
  onPaid,
}: {
  api: Api;
  facilityId: string;
  p: any;
  payeeName: string;
  canPay: boolean;
  /** The facility's funding status: while FUNDING, "not enough in the account" is the funding on its way. */
  funding: string;
  /** Changes whenever the facility view was read again, so the row's readiness is read again too. */
  refresh: unknown;
  onPaid: () => void;
}) {
  const { t, e, blocker, problem, lang } = useT();
  const readiness = useLoad(
    () => (p.paid ? Promise.resolve(null) : api.get(`/facilities/${facilityId}/payments/${p.index}/readiness`)),
    [facilityId, p.index, p.paid, refresh],
  );
  const [result, setResult] = useState<{ ok: boolean; text: string; blockers?: any[] }>();
  const [busy, setBusy] = useState(false);
  // The evidence the bank chooses to release this payment with (null: the node's own choice, shown as the default).
  const [chosen, setChosen] = useState<string[] | null>(null);
  async function pay() {
    setBusy(true);
    setResult({ ok: true, text: t("pending") });
    try {
      const r = await api.post(
        `/facilities/${facilityId}/payments/${p.index}`,
        chosen?.length ? { evidence: chosen } : {},
      );
      setResult({ ok: true, text: r.txHash ? `${t("paymentDone")} ${r.txHash}` : t("onItsWay") });
      onPaid();
    } catch (error: any) {
      setResult({ ok: false, text: problem(error), blockers: error.body?.blockers });
      readiness.reload();
    } finally {
      setBusy(false);
    }
  }
  const r = readiness.data;
  const blockers = (r?.blockers ?? []).filter((b) => !(funding === "FUNDING" && b.code === "insufficient_funds"));
  const candidates = (r?.considered ?? []).filter((c) => c.use !== "unusable");
  const selected = chosen ?? candidates.filter((c) => c.use === "chosen").map((c) => c.evidenceId);
  return (
    <tr data-testid={`payment-${p.index}`}>
      <td>{p.index}</td>
      <td title={p.payee}>{payeeName}</td>
      <td>{e("category", p.category)}</td>
      <td className="num">{cny(p.amount)}</td>
      <td>{p.requiredEvidence.map((k: string) => e("kind", k)).join(lang === "zh" ? "、" : ", ")}</td>
      <td>{p.qualityPurpose ? "✓" : ""}</td>
      <td>
        {p.paid ? (
          <span className="badge badge-active" data-testid="payment-state">
            {t("paid")}
          </span>
        ) : (
          <>
            <span className={`badge ${r?.ready ? "badge-ready" : "badge-blocked"}`} data-testid="payment-state">
              {r?.ready ? t("ready") : t("unpaid")}
            </span>
            {funding === "FUNDING" && <div className="muted">{t("fundingOnItsWay")}</div>}
            {blockers.length > 0 && (
              <ul className="blockers" data-testid="blockers">
                {blockers.map((b: any) => (
                  <li key={b.code + b.message} data-code={b.code}>
                    {blocker(b)}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        {result && (
          <div className={result.ok ? "ok" : "error"} data-testid="payment-result">
            {result.ok ? "" : `${t("refused")}: `}
            {result.text}
          </div>
        )}
      </td>
      <td>
        {canPay && !p.paid && candidates.length > 0 && (
          <details className="choose-evidence" data-testid={`choose-evidence-${p.index}`}>
            <summary>{t("chooseEvidence")}</summary>
            {candidates.map((c) => (
              <label key={c.evidenceId} className="check" title={c.evidenceId}>
                <input
                  type="checkbox"
                  name="evidence"
                  value={c.evidenceId}
                  checked={selected.includes(c.evidenceId)}
                  onChange={(event) =>
                    setChosen(
                      event.target.checked ? [...selected, c.evidenceId] : selected.filter((x) => x !== c.evidenceId),
                    )
                  }
                />
                {e("kind", c.kind)} · {shortAddress(c.documentId)}
              </label>
            ))}
          </details>
        )}
        {canPay && !p.paid && (
          <button onClick={pay} disabled={busy} data-testid={`pay-${p.index}`}>
            {busy ? t("pending") : t("requestPayment")}
          </button>
        )}
      </td>
    </tr>
  );
}
