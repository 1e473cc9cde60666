import type { Api } from "./api";
import { Card, Empty, FacilityFigures, Head, Kpi, Listed, Loading, REFRESH_MS, useLoad } from "./common";
import { TargetsTable } from "./Review";
import { UploadForm } from "./Upload";
import { useT } from "./i18n";
import { cny } from "./money";
import { PayerSettlement } from "./Settlement";

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
        <Listed loaded={payments} empty={t("noPayments")}>
          {(items) => (
            <table className="stack">
              <Head columns={["facility", "payment", "category", "amount", "status"]} />
              <tbody>
                {items.map((p: any) => (
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
        </Listed>
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
      <FacilityFigures status={detail.status} chain={detail.chain} testIds={{ rate: "borrower-rate" }}>
        {statement && (
          <Kpi label="amountOwed" testId="borrower-owed">
            {cny(statement.amountOwed)}
          </Kpi>
        )}
      </FacilityFigures>
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
          <PayerSettlement api={api} kind="repayments" statement={statement} signerKey={signerKey} onDone={reload} />
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
