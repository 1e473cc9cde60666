/**
 * A quarterly review as people read it — its period, each target with the value measured and the records it was
 * measured from, the rate and the subsidy before and after — shared by the facility page, the borrower's page and the
 * regulator's co-signature (which shows all of it before its button).
 */
import type { ReviewReport, TargetOutcome } from "../../domain/api/reviews";
import { Head } from "./common";
import { fieldKey } from "./fields";
import { D } from "./dictionary";
import { useT } from "./i18n";
import { pct } from "./money";

interface EvidenceInput {
  id: string;
  kind: string;
  metadata?: Record<string, unknown>;
}

/** One target per row: threshold, measured value, met, the discount it earned; with its records when given. */
export function TargetsTable({
  targets,
  report,
  evidence,
}: {
  targets: TargetOutcome[];
  report?: ReviewReport;
  evidence?: EvidenceInput[];
}) {
  const { t, lang, e, metric, points } = useT();
  const byId = new Map((evidence ?? []).map((x) => [x.id, x]));
  const recordsOf = (m: string) => {
    const result = report?.metrics.metrics[m as keyof ReviewReport["metrics"]["metrics"]];
    return (result?.evidenceIds ?? []).map((id) => byId.get(id) ?? { id, kind: "", metadata: {} });
  };
  return (
    <table className="stack targets">
      <Head columns={["target", "threshold", "actual", "met", "discount", ...(report ? (["records"] as const) : [])]} />
      <tbody>
        {targets.map((target) => (
          <tr key={target.id} data-testid="target" data-metric={target.metric}>
            <td data-label={t("target")}>{lang === "zh" ? target.label.zh : target.label.en}</td>
            <td data-label={t("threshold")}>
              {target.comparator === "gte" ? "≥" : "≤"} {metric(target.metric, target.threshold)}
            </td>
            <td data-label={t("actual")} data-testid="target-actual">
              {target.actual === null ? t("noData") : metric(target.metric, target.actual)}
              {target.actual !== null && target.comparator === "gte" && target.threshold > 0 && (
                <progress max={1} value={Math.min(1, target.actual / target.threshold)} />
              )}
            </td>
            <td data-label={t("met")}>{target.met ? "✓" : "✗"}</td>
            <td data-label={t("discount")}>{points(target.discountBps)}</td>
            {report && (
              <td data-label={t("records")} data-testid="target-records">
                {recordsOf(target.metric).length === 0 ? (
                  <span className="muted">{t("noRecords")}</span>
                ) : (
                  <ul className="plain">
                    {recordsOf(target.metric).map((r) => (
                      <li key={r.id} title={r.id}>
                        {r.kind ? e("kind", r.kind) : t("document")}{" "}
                        <span className="muted">{metadataText(r.metadata ?? {}, t)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A document's metadata as "Supplier licence: 9133… · Invoice number: INV-1", field names in the user's language. */
export function metadataText(metadata: Record<string, unknown>, t: ReturnType<typeof useT>["t"]): string {
  return Object.entries(metadata)
    .map(([k, v]) => `${fieldKey(k) in D ? t(fieldKey(k)) : k}: ${String(v)}`)
    .join(" · ");
}

/** The decision of a review: period, rate before → after, the discount, the subsidy; then its targets. */
export function ReviewFigures({
  report,
  evidence,
  currentSubsidy,
}: {
  report: ReviewReport;
  evidence?: EvidenceInput[];
  currentSubsidy?: boolean;
}) {
  const { t, time, points } = useT();
  const d = report.decision;
  return (
    <div className="review-figures" data-testid="review-figures">
      <p data-testid="review-period">
        {t("period")}: {time(report.period.from)} – {time(report.period.to)}
      </p>
      <p data-testid="review-rate">
        {t("rate")} {pct(d.baseRateBps)} → <b>{pct(d.newRateBps)}</b> · {t("discount")} {points(d.discountBps)} ·{" "}
        {t("subsidy")}: {currentSubsidy === undefined ? "" : `${currentSubsidy ? t("yes") : t("no")} → `}
        <b data-testid="review-subsidy">{d.subsidyEligible ? t("yes") : t("no")}</b>
      </p>
      <TargetsTable targets={d.targets} report={report} evidence={evidence} />
    </div>
  );
}
