/**
 * What a bank officer does on a facility's page — propose its review, retry its funding, propose lifting its freeze —
 * and what an inspector reads there: the facility's fund-use audit from the chain and its spot checks.
 */
import { useState } from "react";
import type { Api } from "./api";
import { SpotCheckHistory } from "./Approval";
import { Card, Kpi, Loading, REFRESH_MS, StatusBadge, useLoad } from "./common";
import { Outcome, Send } from "./form";
import { refusalText } from "./enums";
import { dayStart, useT } from "./i18n";
import { cny, pct } from "./money";

/** A card's request: busy while it runs, then the text `work` returns, or the problem it raised. */
function useRequest() {
  const { t, problem } = useT();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  async function run(work: () => Promise<string>) {
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      setMessage({ ok: true, text: await work() });
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  return { busy, message, setMessage, run };
}

/**
 * The bank proposes a quarterly review. The period's start is fixed — where the facility opened or the last applied
 * review ended (the facility detail's nextReviewFrom) — so the form shows it and sends none: the node uses it. The end
 * is a day, read as midnight in the user's time zone, or left empty for the chain's time now.
 */
export function ReviewForm({
  api,
  facilityId,
  periodStart,
  onDone,
}: {
  api: Api;
  facilityId: string;
  periodStart: string | null;
  onDone: () => void;
}) {
  const { t, time } = useT();
  const [to, setTo] = useState("");
  const { busy, message, setMessage, run } = useRequest();
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const periodTo = to ? dayStart(to) : undefined;
    if (to && (!periodTo || (periodStart && periodTo <= periodStart)))
      return setMessage({ ok: false, text: t("badPeriod") });
    await run(async () => {
      await api.post(`/facilities/${facilityId}/reviews`, periodTo ? { periodTo } : {});
      setTo("");
      onDone();
      return t("proposed");
    });
  }
  return (
    <Card title={t("proposeReview")} testId="review-form">
      <form className="form" onSubmit={submit}>
        <p className="muted">{t("periodDays")}</p>
        <label>
          {t("from")}
          <output name="periodFrom" data-testid="review-period-start" data-iso={periodStart ?? ""}>
            {time(periodStart)}
          </output>
        </label>
        <label>
          {t("to")}
          <input type="date" name="periodTo" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <p className="muted">{t("periodEndHint")}</p>
        <Send type="submit" busy={busy} label={t("proposeReview")} />
        <Outcome message={message} testId="review-result" />
      </form>
    </Card>
  );
}

/**
 * Where the facility's funding stands (the facility detail's funding section) and, when the chain refused it or it
 * never ran (FAILED, UNFUNDED), the retry: POST /facilities/:id/fund, whose refusal (e.g. insufficient_float) is shown
 * in the user's language.
 */
export function FundingCard({
  api,
  facilityId,
  funding,
  onDone,
}: {
  api: Api;
  facilityId: string;
  funding: { status: string; funded: string; planTotal: string; shortfall: string; lastError: string | null };
  onDone: () => void;
}) {
  const { t, e } = useT();
  const { busy, message, run } = useRequest();
  const canRetry = funding.status === "FAILED" || funding.status === "UNFUNDED";
  async function retry() {
    await run(async () => {
      const answer = await api.post(`/facilities/${facilityId}/fund`);
      onDone();
      return e("funding", answer.funding?.status);
    });
  }
  return (
    <Card title={t("funding")} testId="funding">
      <div className="kpis">
        <Kpi label="status" testId="funding-status" status={funding.status}>
          {e("funding", funding.status)}
        </Kpi>
        <Kpi label="funded">{cny(funding.funded)}</Kpi>
        <Kpi label="planTotal">{cny(funding.planTotal)}</Kpi>
        <Kpi label="shortfall" testId="funding-shortfall">
          {cny(funding.shortfall)}
        </Kpi>
      </div>
      {canRetry && <Send onClick={retry} busy={busy} data-testid="retry-funding" label={t("retryFunding")} />}
      <Outcome message={message} testId="funding-result" />
    </Card>
  );
}

/**
 * A frozen facility: the bank proposes lifting the freeze with its reason (POST /facilities/:id/unfreeze, signed by the
 * bank); the regulator co-signs only after a passing re-inspection. The card shows where each proposal stands — awaiting
 * the regulator, refused (and why), on its way to the chain — and refreshes itself until the chain has applied it.
 */
export function UnfreezeCard({ api, facilityId }: { api: Api; facilityId: string }) {
  const { t, lang, time } = useT();
  const approvals = useLoad(() => api.get("/approvals"), [facilityId], REFRESH_MS);
  const [reason, setReason] = useState("");
  const { busy, message, setMessage, run } = useRequest();
  const mine = (approvals.data?.items ?? [])
    .filter((a) => a.kind === "UNFREEZE" && String(a.facilityId) === facilityId)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const open = mine.find((a) => a.status === "AWAITING_REGULATOR" || a.status === "SUBMITTED");
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!reason.trim()) return setMessage({ ok: false, text: t("reasonRequired") });
    await run(async () => {
      await api.post(`/facilities/${facilityId}/unfreeze`, { reason: reason.trim() });
      setReason("");
      approvals.reload();
      return t("proposed");
    });
  }
  return (
    <Card title={t("unfreeze")} testId="unfreeze">
      <p className="muted">{t("unfreezeHint")}</p>
      {!approvals.data && <Loading error={approvals.error} />}
      {mine.length > 0 && (
        <ul className="plain" data-testid="unfreeze-proposals">
          {mine.slice(0, 3).map((a) => (
            <li key={a.id} data-testid="unfreeze-proposal" data-status={a.status}>
              {time(a.createdAt)} · <StatusBadge status={a.status} /> · {t("reason")}: <q data-user-text>{a.reason}</q>
              {a.regulatorRefusal && (
                <div className="error" title={a.regulatorRefusal.reason} data-testid="unfreeze-refusal">
                  {t("lastRefusal")}: {refusalText(lang, a.regulatorRefusal.reason)}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {!open && (
        <form className="form" onSubmit={submit} data-testid="unfreeze-form">
          <label>
            {t("reason")}
            <textarea name="reason" value={reason} onChange={(event) => setReason(event.target.value)} rows={2} />
          </label>
          <Send type="submit" busy={busy} label={t("proposeUnfreeze")} />
        </form>
      )}
      <Outcome message={message} testId="unfreeze-result" />
    </Card>
  );
}

/** The inspector's reading of a facility: its audit from the chain (regulator node) and its spot-check history. */
export function InspectorCards({ api, facilityId }: { api: Api; facilityId: string }) {
  const { t, time } = useT();
  const audit = useLoad(() => api.regGet(`/facilities/${facilityId}/audit`), [facilityId], REFRESH_MS);
  const checks = useLoad(() => api.regGet(`/spot-checks?facilityId=${facilityId}`), [facilityId], REFRESH_MS);
  const a = audit.data;
  const rejected = a ? a.evidence.filter((x) => x.verdicts.some((v) => v.verdict === "REJECT" || v.revoked)).length : 0;
  return (
    <>
      <Card title={t("audit")} testId="audit">
        {!a ? (
          <Loading error={audit.error} />
        ) : (
          <>
            <div className="kpis">
              <Kpi label="planTotal">{cny(a.totals.planned)}</Kpi>
              <Kpi label="paid" testId="audit-paid">
                {cny(a.totals.paid)}
              </Kpi>
              <Kpi label="qualityShare">
                {pct(a.totals.qualityShareOfPaidBps)} (≥ {pct(a.totals.qualityFloorBps)})
              </Kpi>
              <Kpi label="documents" testId="audit-evidence">
                {a.evidence.length} · {t("rejectedCount")} {rejected}
              </Kpi>
              <Kpi label="freezes" testId="audit-freezes">
                {a.freezes.length}
              </Kpi>
              <Kpi label="repaid">{cny(a.totals.repaid)}</Kpi>
              <Kpi label="subsidyPaid">{cny(a.totals.subsidyPaid)}</Kpi>
            </div>
            {a.freezes.length > 0 && (
              <ul className="plain" data-testid="audit-freeze-list">
                {a.freezes.map((f) => (
                  <li key={f.freezeCount}>
                    {t("freezeNumber")} {f.freezeCount}: {time(f.at.time)} →{" "}
                    {f.unfrozen ? `${t("unfrozenAt")} ${time(f.unfrozen.at.time)}` : t("stillFrozen")}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Card>
      <Card title={t("spotCheckHistory")} testId="spot-checks">
        {!checks.data ? <Loading error={checks.error} /> : <SpotCheckHistory checks={checks.data.items} />}
      </Card>
    </>
  );
}
