import { useMemo, useState } from "react";
import type { Api, Role } from "./api";
import { Card, Empty, FacilityFigures, Head, Kpi, Loading, REFRESH_MS, StatusAndOpen, useLoad } from "./common";
import { UploadForm } from "./Upload";
import { EChart } from "./EChart";
import { useT } from "./i18n";
import { cny, pct, shortAddress } from "./money";
import { DocumentTable } from "./Documents";
import { FundingCard, InspectorCards, ReviewForm, UnfreezeCard } from "./FacilityActions";
import { reasonText } from "./enums";
import { metadataText, ReviewFigures } from "./Review";
import { NewFacilityForm } from "./NewFacility";
import { SettlementCard } from "./Settlement";
import { rateOption, sankeyOption } from "./facility-charts";
import { PaymentRow } from "./PaymentRow";

export function FacilityList({ api, onOpen }: { api: Api; onOpen: (id: string) => void }) {
  const { t } = useT();
  // Slower than a facility's page: without a regulator key the list reads each facility's record.
  const { data, error } = useLoad(() => api.get("/facilities"), [], REFRESH_MS);
  const [creating, setCreating] = useState(false);
  if (!data) return <Loading error={error} />;
  return (
    <>
      {creating && <NewFacilityForm api={api} onCreated={onOpen} onCancel={() => setCreating(false)} />}
      <Card title={t("facilities")} testId="facility-list">
        {!creating && (
          <button onClick={() => setCreating(true)} data-testid="new-facility-button">
            + {t("newFacility")}
          </button>
        )}
        {data.items.length === 0 && <Empty>{t("noFacilities")}</Empty>}
        <div className="scroll">
          <table hidden={data.items.length === 0}>
            <Head columns={["#", "borrowerName", "grade", "limit", "baseRate", "status", ""]} />
            <tbody>
              {data.items.map((f: any) => (
                <tr key={f.applicationId} data-testid={`facility-row-${f.facilityId}`}>
                  <td>{f.facilityId ?? "…"}</td>
                  <td>{f.borrowerName}</td>
                  <td>{f.grade}</td>
                  <td className="num">{cny(f.creditLimit)}</td>
                  <td>{pct(f.baseRateBps)}</td>
                  <StatusAndOpen facility={f} onOpen={onOpen} testId="open-facility-" />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </>
  );
}

export function FacilityDetail({ api, id, role, onBack }: { api: Api; id: string; role: Role; onBack?: () => void }) {
  const words = useT();
  const { t, e, lang, time } = words;
  const noVerdicts = { items: [] as Array<{ evidenceId: string; verdict: string; reason: string }> };
  const load = () =>
    Promise.all([
      api.get(`/facilities/${id}`),
      api.get(`/facilities/${id}/statement`),
      api.get(`/facilities/${id}/evidence`),
      api.get(`/facilities/${id}/reviews`),
      api.get("/payees").catch(() => ({ items: [] })),
      // Each verifier's reasons (the chain holds only their hashes): the bank node's, and the regulator node's where
      // this session holds a key there.
      api.get(`/verifications?facilityId=${id}&limit=500`).catch(() => noVerdicts),
      api.hasRegulatorKey
        ? api.regGet(`/verifications?facilityId=${id}&limit=500`).catch(() => noVerdicts)
        : Promise.resolve(noVerdicts),
    ]);
  const { data, error, reload } = useLoad(load, [id], REFRESH_MS);
  const payeeNames = useMemo(
    () => Object.fromEntries((data?.[4].items ?? []).map((p: any) => [p.address.toLowerCase(), p.name])),
    [data],
  );
  const rate = useMemo(() => (data ? rateOption(data[0], data[1], words) : null), [data, lang]);
  const sankey = useMemo(() => (data ? sankeyOption(data[0], payeeNames, words) : null), [data, payeeNames, lang]);
  if (!data) return <Loading error={error} />;
  const [f, statement, evidence, reviews, , bankVerdicts, regulatorVerdicts] = data;
  type Verdicts = typeof noVerdicts;
  const reasons = [bankVerdicts as Verdicts, regulatorVerdicts as Verdicts].map(
    (list) =>
      new Map<string, string>(list.items.filter((v) => v.verdict === "REJECT").map((v) => [v.evidenceId, v.reason])),
  );
  const closed = f.status === "CLOSED";
  const kindOf = (kind: string) => e("kind", kind);
  const verdictOf = (verdict: string) => e("verdict", verdict);
  const verifierName = (i: number) => (i === 0 ? t("bankNode") : i === 1 ? t("regulatorNode") : `#${i}`);
  return (
    <div data-testid="facility-detail">
      {onBack && (
        <button className="link" onClick={onBack}>
          ← {t("back")}
        </button>
      )}
      <Card title={`${t("facility")} #${f.facilityId} · ${f.borrowerName}`}>
        <FacilityFigures status={f.status} chain={f.chain} balance testIds={{ limit: "kpi-limit", rate: "kpi-rate" }}>
          <Kpi label="grade">{f.grade}</Kpi>
        </FacilityFigures>
      </Card>
      {role === "bank_officer" && f.funding && (
        <FundingCard api={api} facilityId={id} funding={f.funding} onDone={reload} />
      )}
      <div className="grid2">
        <Card title={t("rateHistory")}>{rate && <EChart option={rate} height={260} testId="rate-chart" />}</Card>
        <Card title={t("fundFlow")}>
          {sankey ? (
            <EChart option={sankey} height={260} testId="sankey-chart" />
          ) : (
            <p className="muted">{t("noPaid")}</p>
          )}
        </Card>
      </div>
      <Card title={t("paymentPlan")} testId="payment-plan">
        <div className="scroll">
          <table className="plan">
            <Head columns={["#", "payee", "category", "amount", "requiredEvidence", "quality", "status", ""]} />
            <tbody>
              {f.payments.map((p: any) => (
                <PaymentRow
                  key={`${p.index}-${p.paid}`}
                  api={api}
                  facilityId={id}
                  p={p}
                  payeeName={payeeNames[p.payee.toLowerCase()] ?? shortAddress(p.payee)}
                  canPay={role === "bank_officer" && !closed}
                  funding={f.funding.status}
                  refresh={data}
                  onPaid={reload}
                />
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card title={t("evidence")} testId="evidence-timeline">
        {evidence.items.length === 0 && <Empty>{t("noEvidence")}</Empty>}
        <ol className="timeline">
          {[...evidence.items]
            .sort((a: any, b: any) => a.anchoredAt.localeCompare(b.anchoredAt))
            .map((e: any) => (
              <li key={e.evidenceId} data-testid="evidence-item">
                <time>{time(e.anchoredAt)}</time> <b>{kindOf(e.kind)}</b>{" "}
                <span className="muted">{metadataText(e.metadata, t)}</span>
                <div>
                  {e.verdicts.map((v: any, i: number) => (
                    <span key={v.verifier} className={`badge verdict-${v.verdict.toLowerCase()}`} title={v.verifier}>
                      {verifierName(i)}: {verdictOf(v.verdict)}
                    </span>
                  ))}
                  {e.verdicts.map((v: any, i: number) =>
                    v.verdict === "REJECT" ? (
                      <div key={`why-${v.verifier}`} className="error" data-testid="reject-reason">
                        {verifierName(i)} {t("reason")}:{" "}
                        {reasons[i]?.has(e.evidenceId) ? (
                          <span title={reasons[i].get(e.evidenceId)}>
                            {reasonText(lang, reasons[i].get(e.evidenceId))}
                          </span>
                        ) : (
                          t("reasonAtOtherNode")
                        )}
                      </div>
                    ) : null,
                  )}
                  <span className={`badge ${e.verified ? "badge-active" : "badge-blocked"}`}>
                    {e.verified ? t("verified") : t("notVerified")}
                  </span>
                  {e.consumed && <span className="badge">{t("consumed")}</span>}
                </div>
              </li>
            ))}
        </ol>
      </Card>
      {role !== "supplier" && <DocumentTable api={api} facilityId={id} />}
      <Card title={t("reviews")} testId="reviews">
        {reviews.items.length === 0 && <p className="muted">{t("noReview")}</p>}
        {[...reviews.items].reverse().map((r) => (
          <div key={r.id} className="review" data-testid="review">
            <ReviewFigures report={r.decision} evidence={(r.inputs as any).evidence} />
          </div>
        ))}
      </Card>
      <Card title={t("statement")} testId="statement">
        <div className="kpis">
          <Kpi label="principal">{cny(statement.principal)}</Kpi>
          <Kpi label="interestAccrued">{cny(statement.interestAccrued)}</Kpi>
          <Kpi label="interestDue">{cny(statement.interestDue)}</Kpi>
          <Kpi label="subsidyDue">{cny(statement.subsidyDue)}</Kpi>
          <Kpi label="amountOwed">{cny(statement.amountOwed)}</Kpi>
        </div>
        {statement.segments.length === 0 && <Empty>{t("noSegments")}</Empty>}
        <div className="scroll">
          <table hidden={statement.segments.length === 0}>
            <Head columns={["from", "to", "principal", "rate", "interest"]} />
            <tbody>
              {statement.segments.map((s: any, i: number) => (
                <tr key={i}>
                  <td>{time(s.from)}</td>
                  <td>{s.to ? time(s.to) : "…"}</td>
                  <td className="num">{cny(s.principal)}</td>
                  <td>{pct(s.rateBps)}</td>
                  <td className="num">{cny(s.interest)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      {role === "bank_officer" && <SettlementCard api={api} statement={statement} onDone={reload} />}
      {role === "bank_officer" && f.status === "FROZEN" && <UnfreezeCard api={api} facilityId={id} />}
      {role === "bank_officer" && !closed && (
        <ReviewForm api={api} facilityId={id} periodStart={f.nextReviewFrom ?? null} onDone={reload} />
      )}
      {role === "regulator" && <InspectorCards api={api} facilityId={id} />}
      {(role === "bank_officer" || role === "borrower") && !closed && (
        <Card title={t("upload")}>
          <UploadForm api={api} facilityId={id} onDone={reload} />
        </Card>
      )}
    </div>
  );
}
