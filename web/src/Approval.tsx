/**
 * A joint decision as the regulator co-signs it: everything it signs is on the card before the button — for a review
 * the period, each target with its measured value and the records behind it, the rate and the subsidy before and
 * after; for an unfreeze the bank's reason, the freeze it lifts and the facility's spot checks — and, once co-signed,
 * its state until the chain has applied it.
 */
import { useState } from "react";
import type { ApprovalView } from "../../domain/api/approvals";
import type { SpotCheckList } from "../../domain/api/regulator";
import type { Api } from "./api";
import { Head, Loading, REFRESH_MS, StatusBadge, useLoad } from "./common";
import { Outcome, Send } from "./form";
import { refusalText } from "./enums";
import { useT } from "./i18n";
import { pct } from "./money";
import { ReviewFigures } from "./Review";

type Message = { ok: boolean; text: string };

/** A facility's spot checks (the regulator's own records), newest first. */
export function SpotCheckHistory({ checks }: { checks: SpotCheckList["items"] }) {
  const { t, e, time } = useT();
  if (checks.length === 0) return <p className="muted">{t("noSpotChecks")}</p>;
  return (
    <table className="stack" data-testid="spot-check-history">
      <Head columns={["checkedAt", "result", "reportNumber", "findings", "inspector"]} />
      <tbody>
        {[...checks]
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .map((c) => (
            <tr key={c.id} data-testid="spot-check-row">
              <td data-label={t("checkedAt")}>{time(c.createdAt)}</td>
              <td data-label={t("result")}>
                <span className={`badge ${c.result === "PASS" ? "badge-active" : "badge-frozen"}`}>
                  {e("result", c.result)}
                </span>
              </td>
              <td data-label={t("reportNumber")}>{c.reportNumber}</td>
              <td data-label={t("findings")} data-user-text>
                {c.findings || "—"}
              </td>
              <td data-label={t("inspector")}>{c.inspector}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

export function ApprovalCard({ api, approval, onDone }: { api: Api; approval: ApprovalView; onDone: () => void }) {
  const { t, e, lang, time, problem } = useT();
  const loaded = useLoad(
    () =>
      Promise.all([
        api.get(`/approvals/${approval.id}`),
        api.get(`/facilities/${approval.facilityId}`),
        approval.kind === "UNFREEZE"
          ? api.regGet(`/spot-checks?facilityId=${approval.facilityId}`).catch(() => null)
          : Promise.resolve(null),
      ]),
    [approval.id],
    REFRESH_MS,
  );
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>();
  async function cosign() {
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      const r = await api.regPost(`/approvals/${approval.id}/cosign`);
      setMessage({ ok: true, text: r.txHash ? `${t("cosigned")} ${r.txHash}` : t("onItsWay") });
      onDone();
    } catch (error) {
      setMessage({ ok: false, text: `${t("refused")}: ${problem(error)}` });
    } finally {
      setBusy(false);
    }
  }
  const [detail, facility, spotChecks] = loaded.data ?? [];
  const checks = (spotChecks?.items ?? []).filter((c) => String(c.facilityId) === String(approval.facilityId));
  return (
    <section className="approval" data-testid="approval" data-kind={approval.kind} data-status={approval.status}>
      <h3>
        {e("approvalKind", approval.kind)} · {t("facility")} #{approval.facilityId}
        {facility ? ` · ${facility.borrowerName}` : ""} <StatusBadge status={approval.status} />
      </h3>
      <p className="muted">
        {t("proposedBy")} {approval.createdBy} · {time(approval.createdAt)}
      </p>
      {!detail || !facility ? (
        <Loading error={loaded.error} />
      ) : approval.kind === "REVIEW" && detail.review ? (
        <>
          <p data-testid="rate-on-chain">
            {t("rateOnChain")} {pct(facility.chain.rateBps)} → <b>{pct((detail.message as any).newRateBps)}</b>
          </p>
          <ReviewFigures
            report={detail.review.decision}
            evidence={(detail.review.inputs as any).evidence}
            currentSubsidy={facility.chain.subsidyEligible}
          />
        </>
      ) : (
        <div data-testid="unfreeze-figures">
          <p>
            {t("reason")}: <q data-user-text>{approval.reason}</q>
          </p>
          <p>
            {t("status")}: <StatusBadge status={facility.status} /> · {t("freezeNumber")}{" "}
            {(detail.message as any).freezeCount}
          </p>
          <SpotCheckHistory checks={checks} />
        </div>
      )}
      {approval.regulatorRefusal && (
        <p className="error" data-testid="last-refusal" title={approval.regulatorRefusal.reason}>
          {t("lastRefusal")} ({time(approval.regulatorRefusal.at)}):{" "}
          {refusalText(lang, approval.regulatorRefusal.reason)}
        </p>
      )}
      {approval.status === "AWAITING_REGULATOR" ? (
        <Send onClick={cosign} busy={busy} disabled={!detail} data-testid="cosign" label={t("cosignThese")} />
      ) : (
        <p className="muted" data-testid="approval-on-its-way">
          {t("onItsWay")}
        </p>
      )}
      <Outcome message={message} testId="cosign-result" />
    </section>
  );
}
