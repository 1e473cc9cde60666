/** What a bank officer does on a facility's page: propose its review, retry its funding. */
import { useState } from "react";
import type { Api } from "./api";
import { Card } from "./common";
import { dayStart, useT } from "./i18n";
import { cny } from "./money";

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
  const { t, time, problem } = useT();
  const [to, setTo] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const periodTo = to ? dayStart(to) : undefined;
    if (to && (!periodTo || (periodStart && periodTo <= periodStart)))
      return setMessage({ ok: false, text: t("badPeriod") });
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      await api.post(`/facilities/${facilityId}/reviews`, periodTo ? { periodTo } : {});
      setMessage({ ok: true, text: t("proposed") });
      setTo("");
      onDone();
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
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
        <button type="submit" disabled={busy}>
          {busy ? t("pending") : t("proposeReview")}
        </button>
        {message && (
          <p className={message.ok ? "ok" : "error"} data-testid="review-result">
            {message.text}
          </p>
        )}
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
  const { t, e, problem } = useT();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const canRetry = funding.status === "FAILED" || funding.status === "UNFUNDED";
  async function retry() {
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      const answer = await api.post(`/facilities/${facilityId}/fund`);
      setMessage({ ok: true, text: e("funding", answer.funding?.status) });
      onDone();
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title={t("funding")} testId="funding">
      <div className="kpis">
        <div>
          <span>{t("status")}</span>
          <b data-testid="funding-status" data-status={funding.status}>
            {e("funding", funding.status)}
          </b>
        </div>
        <div>
          <span>{t("funded")}</span>
          <b>{cny(funding.funded)}</b>
        </div>
        <div>
          <span>{t("planTotal")}</span>
          <b>{cny(funding.planTotal)}</b>
        </div>
        <div>
          <span>{t("shortfall")}</span>
          <b data-testid="funding-shortfall">{cny(funding.shortfall)}</b>
        </div>
      </div>
      {canRetry && (
        <button onClick={retry} disabled={busy} data-testid="retry-funding">
          {busy ? t("pending") : t("retryFunding")}
        </button>
      )}
      {message && (
        <p className={message.ok ? "ok" : "error"} data-testid="funding-result">
          {message.text}
        </p>
      )}
    </Card>
  );
}
