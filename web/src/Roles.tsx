import type { EChartsOption } from "echarts";
import { useState } from "react";
import type { Api } from "./api";
import { Card, Empty, Loading, StatusBadge, UploadForm, facilitiesWithChainStatus, useLoad } from "./common";
import { EChart } from "./EChart";
import { reasonText } from "./enums";
import { useT } from "./i18n";
import { cny, pct, shortAddress } from "./money";
import { OwedBy, PayerOrderForm } from "./Settlement";

const DIMENSIONS = ["credit", "management", "brand", "foundation", "innovation"] as const;

function radarOption(firm: any, t: ReturnType<typeof useT>["t"]): EChartsOption {
  return {
    animation: false,
    radar: {
      indicator: DIMENSIONS.map((d) => ({ name: t(d), max: 100 })),
      radius: "52%",
      axisName: { fontSize: 10, color: "#445" },
    },
    series: [
      {
        type: "radar",
        data: [{ name: firm.name, value: DIMENSIONS.map((d) => firm[d]), areaStyle: { opacity: 0.25 } }],
      },
    ],
    tooltip: {},
  };
}

export function Regulator({ api }: { api: Api }) {
  const { t, lang, e, time, problem } = useT();
  const queue = useLoad(() => api.regGet("/queue"), []);
  const facilities = useLoad(() => facilitiesWithChainStatus(api, true), []);
  const approvals = useLoad(() => api.get("/approvals?status=AWAITING_REGULATOR"), []);
  const whitelist = useLoad(() => api.get("/whitelist"), []);
  // No facility and no outcome preselected: the inspector chooses both, then confirms.
  const [form, setForm] = useState({ facilityId: "", result: "", reportNumber: "", findings: "" });
  const [busy, setBusy] = useState(false);
  const [spot, setSpot] = useState<{ ok: boolean; text: string; status?: string }>();
  const [cosign, setCosign] = useState<Record<string, { ok: boolean; text: string }>>({});

  async function recordSpotCheck(event: React.FormEvent) {
    event.preventDefault();
    if (!window.confirm(t("confirmSpotCheck"))) return;
    setBusy(true);
    setSpot({ ok: true, text: t("pending") });
    try {
      const r = await api.regPost("/spot-checks", form);
      setSpot({ ok: true, text: `${e("result", r.result)} · ${r.reportNumber}`, status: r.facilityStatus });
      facilities.reload();
    } catch (error) {
      setSpot({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  async function doCosign(id: string) {
    setCosign((c) => ({ ...c, [id]: { ok: true, text: t("pending") } }));
    try {
      const r = await api.regPost(`/approvals/${id}/cosign`);
      setCosign((c) => ({ ...c, [id]: { ok: true, text: `${t("cosigned")} ${r.txHash ?? ""}` } }));
      approvals.reload();
    } catch (error) {
      setCosign((c) => ({ ...c, [id]: { ok: false, text: `${t("refused")}: ${problem(error)}` } }));
    }
  }

  return (
    <div>
      <Card title={t("queue")} testId="queue">
        {!queue.data ? (
          <Loading error={queue.error} />
        ) : queue.data.items.length === 0 ? (
          <Empty>{t("noQueue")}</Empty>
        ) : (
          <div className="scroll">
            <table>
              <thead>
                <tr>
                  <th>{t("facility")}</th>
                  <th>{t("kind")}</th>
                  <th>{t("regulatorVerdict")}</th>
                  <th>{t("bankVerdict")}</th>
                  <th>{t("onChain")}</th>
                  <th>{t("checkedAt")}</th>
                </tr>
              </thead>
              <tbody>
                {queue.data.items.map((q: any) => (
                  <tr key={q.evidenceId} data-testid="queue-row">
                    <td>#{q.facilityId}</td>
                    <td title={q.evidenceId}>{e("kind", q.kind)}</td>
                    <td>
                      <span className={`badge verdict-${q.regulatorVerdict.toLowerCase()}`}>
                        {e("verdict", q.regulatorVerdict)}
                      </span>{" "}
                      <span className="muted" title={q.regulatorReason ?? ""}>
                        {reasonText(lang, q.regulatorReason)}
                      </span>
                    </td>
                    <td>
                      <span className={`badge verdict-${q.bankVerdict.toLowerCase()}`}>
                        {e("verdict", q.bankVerdict)}
                      </span>
                    </td>
                    <td>{q.verifiedOnChain ? "✓" : "…"}</td>
                    <td>{time(q.checkedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <div className="grid2">
        <Card title={t("spotCheck")} testId="spot-check">
          <form className="form" onSubmit={recordSpotCheck}>
            <label>
              {t("facility")}
              <select
                name="facilityId"
                value={form.facilityId}
                required
                onChange={(event) => setForm({ ...form, facilityId: event.target.value })}
              >
                <option value="">{t("choose")}</option>
                {(facilities.data?.items ?? [])
                  .filter((f: any) => f.facilityId)
                  .map((f: any) => (
                    <option key={f.facilityId} value={f.facilityId}>
                      #{f.facilityId} {f.borrowerName} ({e("status", f.status)})
                    </option>
                  ))}
              </select>
            </label>
            <label>
              {t("result")}
              <select
                name="result"
                value={form.result}
                required
                onChange={(event) => setForm({ ...form, result: event.target.value })}
              >
                <option value="">{t("choose")}</option>
                <option value="PASS">{e("result", "PASS")}</option>
                <option value="FAIL">{e("result", "FAIL")}</option>
              </select>
            </label>
            <label>
              {t("reportNumber")}
              <input
                name="reportNumber"
                required
                value={form.reportNumber}
                onChange={(event) => setForm({ ...form, reportNumber: event.target.value })}
              />
            </label>
            <label>
              {t("findings")}
              <input
                name="findings"
                value={form.findings}
                onChange={(event) => setForm({ ...form, findings: event.target.value })}
              />
            </label>
            <button type="submit" disabled={busy}>
              {busy ? t("pending") : t("record")}
            </button>
          </form>
          {spot && (
            <p className={spot.ok ? "ok" : "error"} data-testid="spot-result">
              {spot.text}
              {spot.status && (
                <>
                  {" "}
                  · {t("facilityNow")}: <StatusBadge status={spot.status} />
                </>
              )}
            </p>
          )}
          <table>
            <tbody>
              {(facilities.data?.items ?? []).map((f: any) => (
                <tr key={f.applicationId} data-testid={`reg-facility-${f.facilityId}`}>
                  <td>#{f.facilityId}</td>
                  <td>{f.borrowerName}</td>
                  <td className="num">{cny(f.creditLimit)}</td>
                  <td>
                    <StatusBadge status={f.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title={t("approvals")} testId="approvals">
          {!approvals.data ? (
            <Loading error={approvals.error} />
          ) : approvals.data.items.length === 0 ? (
            <p className="muted">{t("none")}</p>
          ) : (
            <ul className="plain">
              {approvals.data.items.map((a: any) => (
                <li key={a.id} data-testid="approval">
                  <b>{e("approvalKind", a.kind)}</b> · {t("facility")} #{a.facilityId} · {time(a.createdAt)}{" "}
                  {a.message?.newRateBps !== undefined && <>· {pct(Number(a.message.newRateBps))}</>}
                  <button onClick={() => doCosign(a.id)}>{t("cosign")}</button>
                </li>
              ))}
            </ul>
          )}
          {Object.entries(cosign).map(([id, r]) => (
            <p key={id} className={r.ok ? "ok" : "error"} data-testid="cosign-result">
              {r.text}
            </p>
          ))}
        </Card>
      </div>
      <Card title={t("whitelist")} testId="whitelist">
        {!whitelist.data ? (
          <Loading error={whitelist.error} />
        ) : whitelist.data.items.length === 0 ? (
          <Empty>{t("noWhitelist")}</Empty>
        ) : (
          <div className="firms">
            {whitelist.data.items.map((w: any) => (
              <div key={w.creditCode} className="firm" data-testid="firm">
                <h3>
                  {w.name} <span className="badge">{w.grade}</span>
                </h3>
                <EChart key={lang} option={radarOption(w, t)} height={220} testId="radar-chart" />
              </div>
            ))}
          </div>
        )}
      </Card>
    </div>
  );
}

export function Supplier({ api }: { api: Api }) {
  const { t, e } = useT();
  const [payee, setPayee] = useState("");
  const payees = useLoad(() => api.get("/payees"), []);
  const payments = useLoad(() => api.get(`/payments${payee ? `?payee=${payee}` : ""}`), [payee]);
  return (
    <div>
      <Card title={t("payments")} testId="supplier-payments">
        <label>
          {t("payees")}{" "}
          <select value={payee} onChange={(event) => setPayee(event.target.value)} data-testid="supplier-payee">
            <option value="">—</option>
            {(payees.data?.items ?? []).map((p: any) => (
              <option key={p.address} value={p.address}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
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
                  <td data-label={t("facility")}>#{p.facilityId}</td>
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
      <Card title={t("payees")}>
        {!payees.data ? (
          <Loading error={payees.error} />
        ) : payees.data.items.length === 0 ? (
          <Empty>{t("noPayees")}</Empty>
        ) : (
          <table className="stack">
            <tbody>
              {payees.data.items.map((p: any) => (
                <tr key={p.address}>
                  <td data-label={t("payee")}>{p.name}</td>
                  <td data-label={t("category")}>{e("category", p.category)}</td>
                  <td data-label="" title={p.address}>
                    {shortAddress(p.address)}
                  </td>
                  <td data-label={t("status")}>{p.active ? t("active") : "—"}</td>
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
  const { t, lang, e, metric, points } = useT();
  const { data, error, reload } = useLoad(
    () =>
      Promise.all([
        api.get(`/facilities/${f.facilityId}`),
        api.get(`/facilities/${f.facilityId}/reviews`),
        api.get(`/facilities/${f.facilityId}/evidence`),
        api.get(`/facilities/${f.facilityId}/statement`).catch(() => null),
      ]),
    [f.facilityId],
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
      {!latest ? (
        <p className="muted">{t("noReview")}</p>
      ) : (
        <table className="stack">
          <thead>
            <tr>
              <th>{t("target")}</th>
              <th>{t("threshold")}</th>
              <th>{t("actual")}</th>
              <th>{t("met")}</th>
              <th>{t("discount")}</th>
            </tr>
          </thead>
          <tbody>
            {latest.decision.targets.map((target: any) => (
              <tr key={target.id} data-testid="target">
                <td data-label={t("target")}>{lang === "zh" ? target.label.zh : target.label.en}</td>
                <td data-label={t("threshold")}>
                  {target.comparator === "gte" ? "≥" : "≤"} {metric(target.metric, target.threshold)}
                </td>
                <td data-label={t("actual")}>
                  {metric(target.metric, target.actual)}
                  {target.actual !== null && target.comparator === "gte" && target.threshold > 0 && (
                    <progress max={1} value={Math.min(1, target.actual / target.threshold)} />
                  )}
                </td>
                <td data-label={t("met")}>{target.met ? "✓" : "✗"}</td>
                <td data-label={t("discount")}>{points(target.discountBps)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
  const { data, error } = useLoad(() => api.get("/facilities"), []);
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
