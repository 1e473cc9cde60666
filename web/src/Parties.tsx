import type { Api } from "./api";
import { Card, Empty, Loading, REFRESH_MS, StatusBadge, useLoad } from "./common";
import { TargetsTable } from "./Review";
import { UploadForm } from "./Upload";
import { useT } from "./i18n";
import { cny, pct } from "./money";
import { OwedBy, PayerOrderForm } from "./Settlement";

/**
 * The supplier's page: its own entrusted payments (the node answers a supplier's key with the payments to its own
 * account only) and its uploads. No other payee is listed here.
 */
export function Supplier({ api }: { api: Api }) {
  const { t, e } = useT();
  const payments = useLoad(() => api.get("/payments"), [], REFRESH_MS);
  return (
    <div>
      <Card title={t("myPayments")} testId="supplier-payments">
        {!payments.data ? (
          <Loading error={payments.error} />
        ) : payments.data.items.length === 0 ? (
          <Empty>{t("noPayments")}</Empty>
        ) : (
          <table className="stack">
            <thead>
              <tr>
                <th>{t("facility")}</th>
                <th>{t("payment")}</th>
                <th>{t("category")}</th>
                <th>{t("amount")}</th>
                <th>{t("status")}</th>
              </tr>
            </thead>
            <tbody>
              {payments.data.items.map((p: any) => (
                <tr key={`${p.facilityId}-${p.index}`} data-testid="supplier-payment">
                  <td data-label={t("facility")}>
                    #{p.facilityId} {p.borrowerName}
                  </td>
                  <td data-label={t("payment")}>{p.index}</td>
                  <td data-label={t("category")}>{e("category", p.category)}</td>
                  <td data-label={t("amount")} className="num">
                    {cny(p.amount)}
                  </td>
                  <td data-label={t("status")}>
                    <span className={`badge ${p.paid ? "badge-active" : "badge-blocked"}`}>
                      {p.paid ? t("paid") : t("unpaid")}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title={t("upload")}>
        <UploadForm api={api} />
      </Card>
    </div>
  );
}

function BorrowerFacility({ api, f, signerKey }: { api: Api; f: any; signerKey?: string }) {
  const { t, e } = useT();
  const { data, error, reload } = useLoad(
    () =>
      Promise.all([
        api.get(`/facilities/${f.facilityId}`),
        api.get(`/facilities/${f.facilityId}/reviews`),
        api.get(`/facilities/${f.facilityId}/evidence`),
        api.get(`/facilities/${f.facilityId}/statement`).catch(() => null),
      ]),
    [f.facilityId],
    REFRESH_MS,
  );
  if (!data) return <Loading error={error} />;
  const [detail, reviews, evidence, statement] = data;
  const report = reviews.items[reviews.items.length - 1]?.decision;
  // A review's record holds the whole report: { period, metrics, decision }.
  const latest = report ? { decision: report.decision ?? report } : undefined;
  const verifiedKinds = new Set(
    evidence.items.filter((e: any) => e.verified && !e.consumed).map((e: any) => e.kind as string),
  );
  const missing = detail.payments
    .filter((p: any) => !p.paid)
    .flatMap((p: any) =>
      p.requiredEvidence.filter((k: string) => !verifiedKinds.has(k)).map((k: string) => ({ index: p.index, kind: k })),
    );
  return (
    <Card title={`${t("facility")} #${f.facilityId} · ${f.borrowerName}`} testId="borrower-facility">
      <div className="kpis">
        <div>
          <span>{t("status")}</span>
          <StatusBadge status={detail.status} />
        </div>
        <div>
          <span>{t("limit")}</span>
          <b>{cny(detail.chain.creditLimit)}</b>
        </div>
        <div>
          <span>{t("drawn")}</span>
          <b>{cny(detail.chain.drawn)}</b>
        </div>
        <div>
          <span>{t("rateNow")}</span>
          <b data-testid="borrower-rate">{pct(detail.chain.rateBps)}</b>
        </div>
        <div>
          <span>{t("baseRate")}</span>
          <b>{pct(detail.chain.baseRateBps)}</b>
        </div>
        {statement && (
          <div>
            <span>{t("amountOwed")}</span>
            <b data-testid="borrower-owed">{cny(statement.amountOwed)}</b>
          </div>
        )}
      </div>
      <h3>{t("targets")}</h3>
      {!latest ? <p className="muted">{t("noReview")}</p> : <TargetsTable targets={latest.decision.targets} />}
      <h3>{t("docsToUpload")}</h3>
      {missing.length === 0 ? (
        <p className="ok">{t("allDocs")}</p>
      ) : (
        <ul data-testid="docs-to-upload">
          {missing.map((m: any) => (
            <li key={`${m.index}-${m.kind}`}>
              {t("payment")} {m.index}: {e("kind", m.kind)}
            </li>
          ))}
        </ul>
      )}
      {statement && (
        <>
          <h3>{t("repayment")}</h3>
          <OwedBy statement={statement} />
          {statement.amountOwed === "0" ? (
            <p className="ok">{t("nothingOwed")}</p>
          ) : (
            <PayerOrderForm
              api={api}
              facilityId={f.facilityId}
              kind="repayments"
              suggested={statement.amountOwed}
              signerKey={signerKey}
              onDone={reload}
            />
          )}
        </>
      )}
      <UploadForm api={api} facilityId={f.facilityId} onDone={reload} />
    </Card>
  );
}

export function Borrower({ api, signerKey }: { api: Api; signerKey?: string }) {
  const { t } = useT();
  const { data, error } = useLoad(() => api.get("/facilities"), [], REFRESH_MS);
  if (!data) return <Loading error={error} />;
  return (
    <div>
      <h2>{t("myFacilities")}</h2>
      {data.items.filter((f: any) => f.facilityId).length === 0 && <Empty>{t("noMyFacilities")}</Empty>}
      {data.items
        .filter((f: any) => f.facilityId)
        .map((f: any) => (
          <BorrowerFacility key={f.facilityId} api={api} f={f} signerKey={signerKey} />
        ))}
    </div>
  );
}
