import type { EChartsOption } from "echarts";
import { useState } from "react";
import type { Api } from "./api";
import { ApprovalCard } from "./Approval";
import { Card, Head, Listed, REFRESH_MS, StatusAndOpen, StatusBadge, useLoad } from "./common";
import { Outcome, Send, TextField } from "./form";
import { metadataText } from "./Review";
import { EChart } from "./EChart";
import { reasonText } from "./enums";
import { useT } from "./i18n";
import { cny } from "./money";

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

export function Regulator({ api, onOpen }: { api: Api; onOpen: (id: string) => void }) {
  const { t, lang, e, time, problem } = useT();
  const queue = useLoad(() => api.regGet("/queue"), [], REFRESH_MS);
  const facilities = useLoad(() => api.get("/facilities"), [], REFRESH_MS);
  // Awaiting the regulator, and those it co-signed until they are mined (SUBMITTED → APPLIED).
  const approvals = useLoad(
    async () => ({
      items: ((await api.get("/approvals")).items as any[]).filter(
        (a) => a.status === "AWAITING_REGULATOR" || a.status === "SUBMITTED",
      ),
    }),
    [],
    REFRESH_MS,
  );
  const whitelist = useLoad(() => api.get("/whitelist"), []);
  const names: Record<string, string> = Object.fromEntries(
    (facilities.data?.items ?? []).map((f: any) => [String(f.facilityId), f.borrowerName]),
  );
  // No facility and no outcome preselected: the inspector chooses both, then confirms.
  const [form, setForm] = useState({ facilityId: "", result: "", reportNumber: "", findings: "" });
  const [busy, setBusy] = useState(false);
  const [spot, setSpot] = useState<{ ok: boolean; text: string; status?: string }>();

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
  /** A required choice of the spot check's form, "choose" until one is made. */
  const choice = (name: "facilityId" | "result", label: "facility" | "result", options: React.ReactNode) => (
    <label>
      {t(label)}
      <select
        name={name}
        value={form[name]}
        required
        onChange={(event) => setForm({ ...form, [name]: event.target.value })}
      >
        <option value="">{t("choose")}</option>
        {options}
      </select>
    </label>
  );
  return (
    <div>
      <Card title={t("queue")} testId="queue">
        <Listed loaded={queue} empty={t("noQueue")}>
          {(items) => (
            <div className="scroll">
              <table>
                <Head
                  columns={[
                    "facility",
                    "borrowerName",
                    "kind",
                    "document",
                    "regulatorVerdict",
                    "bankVerdict",
                    "onChain",
                    "checkedAt",
                  ]}
                />
                <tbody>
                  {items.map((q: any) => (
                    <tr key={q.evidenceId} data-testid="queue-row">
                      <td>#{q.facilityId}</td>
                      <td>{names[String(q.facilityId)] ?? "—"}</td>
                      <td title={q.evidenceId}>{e("kind", q.kind)}</td>
                      <td className="meta" data-testid="queue-document">
                        {metadataText(q.metadata ?? {}, t)}
                      </td>
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
        </Listed>
      </Card>
      <div className="grid2">
        <Card title={t("spotCheck")} testId="spot-check">
          <form className="form" onSubmit={recordSpotCheck}>
            {choice(
              "facilityId",
              "facility",
              (facilities.data?.items ?? [])
                .filter((f: any) => f.facilityId)
                .map((f: any) => (
                  <option key={f.facilityId} value={f.facilityId}>
                    #{f.facilityId} {f.borrowerName} ({e("status", f.status)})
                  </option>
                )),
            )}
            {choice(
              "result",
              "result",
              <>
                <option value="PASS">{e("result", "PASS")}</option>
                <option value="FAIL">{e("result", "FAIL")}</option>
              </>,
            )}
            <TextField
              label={t("reportNumber")}
              name="reportNumber"
              required
              value={form.reportNumber}
              onText={(reportNumber) => setForm({ ...form, reportNumber })}
            />
            <TextField
              label={t("findings")}
              name="findings"
              value={form.findings}
              onText={(findings) => setForm({ ...form, findings })}
            />
            <Send type="submit" busy={busy} label={t("record")} />
          </form>
          <Outcome message={spot} testId="spot-result">
            {spot?.status && (
              <>
                {" "}
                · {t("facilityNow")}: <StatusBadge status={spot.status} />
              </>
            )}
          </Outcome>
        </Card>
        <Card title={t("facilities")} testId="reg-facilities">
          <table>
            <tbody>
              {(facilities.data?.items ?? []).map((f: any) => (
                <tr key={f.applicationId} data-testid={`reg-facility-${f.facilityId}`}>
                  <td>#{f.facilityId}</td>
                  <td>{f.borrowerName}</td>
                  <td className="num">{cny(f.creditLimit)}</td>
                  <StatusAndOpen facility={f} onOpen={onOpen} testId="reg-open-" />
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
      <Card title={t("approvals")} testId="approvals">
        <Listed loaded={approvals} empty={t("noApprovals")}>
          {(items) =>
            items.map((a: any) => <ApprovalCard key={a.id} api={api} approval={a} onDone={approvals.reload} />)
          }
        </Listed>
      </Card>
      <Card title={t("whitelist")} testId="whitelist">
        <Listed loaded={whitelist} empty={t("noWhitelist")}>
          {(items) => (
            <div className="firms">
              {items.map((w: any) => (
                <div key={w.creditCode} className="firm" data-testid="firm">
                  <h3>
                    {w.name} <span className="badge">{w.grade}</span>
                  </h3>
                  <EChart key={lang} option={radarOption(w, t)} height={220} testId="radar-chart" />
                </div>
              ))}
            </div>
          )}
        </Listed>
      </Card>
    </div>
  );
}
