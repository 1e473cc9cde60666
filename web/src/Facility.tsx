import type { EChartsOption } from "echarts";
import { useMemo, useState } from "react";
import type { Api, Role } from "./api";
import { Card, Empty, Loading, REFRESH_MS, StatusBadge, useLoad } from "./common";
import { UploadForm } from "./Upload";
import { EChart } from "./EChart";
import { useT } from "./i18n";
import { cny, pct, shortAddress, yuanNumber } from "./money";
import { DocumentTable } from "./Documents";
import { FundingCard, InspectorCards, ReviewForm, UnfreezeCard } from "./FacilityActions";
import { reasonText } from "./enums";
import { metadataText, ReviewFigures } from "./Review";
import type { FacilityDetail as FacilityView } from "../../domain/api/facilities";
import type { Statement } from "../../domain/api/statement";
import { NewFacilityForm } from "./NewFacility";
import { SettlementCard } from "./Settlement";

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
            <thead>
              <tr>
                <th>#</th>
                <th>{t("borrowerName")}</th>
                <th>{t("grade")}</th>
                <th>{t("limit")}</th>
                <th>{t("baseRate")}</th>
                <th>{t("status")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.items.map((f: any) => (
                <tr key={f.applicationId} data-testid={`facility-row-${f.facilityId}`}>
                  <td>{f.facilityId ?? "…"}</td>
                  <td>{f.borrowerName}</td>
                  <td>{f.grade}</td>
                  <td className="num">{cny(f.creditLimit)}</td>
                  <td>{pct(f.baseRateBps)}</td>
                  <td>
                    <StatusBadge status={f.status} />
                  </td>
                  <td>
                    {f.facilityId && (
                      <button onClick={() => onOpen(f.facilityId)} data-testid={`open-facility-${f.facilityId}`}>
                        {t("open")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </>
  );
}

type Words = ReturnType<typeof useT>;

function rateOption(facility: FacilityView, statement: Statement, { t }: Words): EChartsOption {
  const base = facility.chain.baseRateBps / 100;
  const points: Array<[number, number]> = [[new Date(facility.appliedAt).getTime(), base]];
  for (const r of statement.rateHistory) points.push([new Date(r.at).getTime(), r.to / 100]);
  points.push([new Date(statement.at).getTime(), statement.rateBps / 100]);
  return {
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: (v) => `${Number(v).toFixed(2)}%` },
    legend: { data: [t("rate"), t("baseRate")] },
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: t("rate"), type: "line", step: "end", data: points, symbolSize: 8 },
      {
        name: t("baseRate"),
        type: "line",
        data: [
          [points[0][0], base],
          [points[points.length - 1][0], base],
        ],
        lineStyle: { type: "dashed" },
        symbol: "none",
      },
    ],
  };
}

function sankeyOption(
  facility: FacilityView,
  payeeNames: Record<string, string>,
  { t, e }: Words,
): EChartsOption | null {
  const paid = facility.payments.filter((p) => p.paid);
  if (paid.length === 0) return null;
  const root = `${t("facility")} #${facility.facilityId}`;
  const sums = new Map<string, bigint>();
  const add = (source: string, target: string, fen: string) => {
    const key = `${source}\u0000${target}`;
    sums.set(key, (sums.get(key) ?? 0n) + BigInt(fen));
  };
  for (const p of paid) {
    const payee = payeeNames[p.payee.toLowerCase()] ?? shortAddress(p.payee);
    add(root, e("category", p.category), p.amount);
    add(e("category", p.category), payee, p.amount);
  }
  const names = new Set<string>();
  const links = [...sums].map(([key, fen]) => {
    const [source, target] = key.split("\u0000");
    names.add(source).add(target);
    return { source, target, value: yuanNumber(fen), fen: fen.toString() };
  });
  return {
    animation: false,
    tooltip: {
      formatter: (p: any) =>
        p.dataType === "edge" ? `${p.data.source} → ${p.data.target}: ${cny(p.data.fen)}` : p.name,
    },
    series: [
      {
        type: "sankey",
        left: 10,
        right: 170,
        data: [...names].map((name) => ({ name })),
        links,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5 },
        label: { fontSize: 11, width: 160, overflow: "truncate" },
      },
    ],
  };
}

function PaymentRow({
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
        <div className="kpis">
          <div>
            <span>{t("status")}</span>
            <StatusBadge status={f.status} />
          </div>
          <div>
            <span>{t("limit")}</span>
            <b data-testid="kpi-limit">{cny(f.chain.creditLimit)}</b>
          </div>
          <div>
            <span>{t("drawn")}</span>
            <b>{cny(f.chain.drawn)}</b>
          </div>
          <div>
            <span>{t("balance")}</span>
            <b>{cny(f.chain.balance)}</b>
          </div>
          <div>
            <span>{t("rateNow")}</span>
            <b data-testid="kpi-rate">{pct(f.chain.rateBps)}</b>
          </div>
          <div>
            <span>{t("baseRate")}</span>
            <b>{pct(f.chain.baseRateBps)}</b>
          </div>
          <div>
            <span>{t("grade")}</span>
            <b>{f.grade}</b>
          </div>
        </div>
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
            <thead>
              <tr>
                <th>#</th>
                <th>{t("payee")}</th>
                <th>{t("category")}</th>
                <th>{t("amount")}</th>
                <th>{t("requiredEvidence")}</th>
                <th>{t("quality")}</th>
                <th>{t("status")}</th>
                <th />
              </tr>
            </thead>
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
          <div>
            <span>{t("principal")}</span>
            <b>{cny(statement.principal)}</b>
          </div>
          <div>
            <span>{t("interestAccrued")}</span>
            <b>{cny(statement.interestAccrued)}</b>
          </div>
          <div>
            <span>{t("interestDue")}</span>
            <b>{cny(statement.interestDue)}</b>
          </div>
          <div>
            <span>{t("subsidyDue")}</span>
            <b>{cny(statement.subsidyDue)}</b>
          </div>
          <div>
            <span>{t("amountOwed")}</span>
            <b>{cny(statement.amountOwed)}</b>
          </div>
        </div>
        {statement.segments.length === 0 && <Empty>{t("noSegments")}</Empty>}
        <div className="scroll">
          <table hidden={statement.segments.length === 0}>
            <thead>
              <tr>
                <th>{t("from")}</th>
                <th>{t("to")}</th>
                <th>{t("principal")}</th>
                <th>{t("rate")}</th>
                <th>{t("interest")}</th>
              </tr>
            </thead>
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
