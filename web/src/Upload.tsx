/**
 * Uploading a document as evidence (POST /documents, multipart): one form per evidence kind, with the fields both
 * verifiers check — a contract, invoice or delivery note carries the supplier's licence (the payee's credit code, filled
 * in when the payee is chosen), a report or certificate the lab's licence — so an honest upload is not rejected for a
 * field nobody asked for.
 */
import { useEffect, useState } from "react";
import type { PayeeView } from "../../domain/api/payees";
import { EVIDENCE_KINDS, type EvidenceKind } from "../../domain/enums";
import type { Api } from "./api";
import { useLoad } from "./common";
import { Outcome, PayeeSelect, Send, TextField } from "./form";
import { fieldKey, KIND_FIELDS, PAYEE_KINDS } from "./fields";
import { useT } from "./i18n";

/** A payee of the facility's plan, as GET /payees lists it. */
type PlanPayee = Pick<PayeeView, "address" | "name" | "creditCode">;

export function UploadForm({ api, facilityId, onDone }: { api: Api; facilityId?: string; onDone?: () => void }) {
  const { t, e, problem } = useT();
  const [facility, setFacility] = useState(facilityId ?? "");
  const [kind, setKind] = useState<EvidenceKind>("INVOICE");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [counterparty, setCounterparty] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setFacility(facilityId ?? ""), [facilityId]);
  // The plan's payees (names and credit codes), where this key may read the facility: a supplier's upload is its own.
  const plan = useLoad<PlanPayee[]>(async () => {
    if (!/^\d+$/.test(facility)) return [];
    const [detail, payees] = await Promise.all([
      api.get(`/facilities/${facility}`).catch(() => null),
      api.get("/payees").catch(() => ({ items: [] })),
    ]);
    if (!detail) return [];
    const inPlan = new Set(detail.payments.map((p: { payee: string }) => p.payee.toLowerCase()));
    return payees.items.filter((p: PlanPayee) => inPlan.has(p.address.toLowerCase()));
  }, [facility]);
  const planPayees = plan.data ?? [];
  const withPayee = PAYEE_KINDS.includes(kind) && planPayees.length > 0;
  function choosePayee(address: string) {
    setCounterparty(address);
    const payee = planPayees.find((p) => p.address === address);
    if (payee && KIND_FIELDS[kind].some((f) => f.name === "supplierLicence"))
      setFields((f) => ({ ...f, supplierLicence: payee.creditCode }));
  }
  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const file = (event.currentTarget.elements.namedItem("file") as HTMLInputElement).files?.[0];
    if (!file) return setMessage({ ok: false, text: t("chooseFile") });
    const metadata: Record<string, string | number> = {};
    for (const f of KIND_FIELDS[kind]) {
      const value = (fields[f.name] ?? "").trim();
      if (!value) return setMessage({ ok: false, text: `${t("fieldMissing")}: ${t(fieldKey(f.name))}` });
      if (f.numeric && !/^\d+$/.test(value))
        return setMessage({ ok: false, text: `${t("fieldNotNumber")}: ${t(fieldKey(f.name))}` });
      metadata[f.name] = f.numeric ? Number(value) : value;
    }
    const form = new FormData();
    form.append("facilityId", facility);
    form.append("kind", kind);
    if (withPayee && counterparty) form.append("counterparty", counterparty);
    form.append("metadata", JSON.stringify(metadata));
    form.append("file", file, file.name);
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      const doc = await api.post("/documents", form);
      setMessage({ ok: true, text: `${t("uploaded")} ${doc.evidenceId ?? doc.id}` });
      setFields({});
      onDone?.();
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form" onSubmit={submit} data-testid="upload-form">
      <TextField
        label={t("facility")}
        name="facilityId"
        value={facility}
        required
        inputMode="numeric"
        onText={setFacility}
        disabled={!!facilityId}
      />
      <label>
        {t("kind")}
        <select
          name="kind"
          value={kind}
          onChange={(event) => {
            setKind(event.target.value as EvidenceKind);
            setFields({});
            setCounterparty("");
          }}
        >
          {EVIDENCE_KINDS.map((k) => (
            <option key={k} value={k}>
              {e("kind", k)}
            </option>
          ))}
        </select>
      </label>
      {withPayee && (
        <label>
          {t("payee")}
          <PayeeSelect name="counterparty" value={counterparty} payees={planPayees} onPick={choosePayee} />
        </label>
      )}
      {KIND_FIELDS[kind].map((f) => (
        <TextField
          key={f.name}
          label={t(fieldKey(f.name))}
          name={f.name}
          value={fields[f.name] ?? ""}
          inputMode={f.numeric ? "numeric" : undefined}
          onText={(text) => setFields({ ...fields, [f.name]: text })}
        />
      ))}
      <label>
        {t("file")}
        <input name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,.json,.xml" />
      </label>
      <Send type="submit" busy={busy} label={t("upload")} />
      <Outcome message={message} testId="upload-result" />
    </form>
  );
}
