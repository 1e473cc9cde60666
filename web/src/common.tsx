import { useCallback, useEffect, useState } from "react";
import { EVIDENCE_KINDS } from "../../domain/enums";
import type { Api } from "./api";
import { statusOf } from "./status";
import { useT } from "./i18n";

/** Loads data with `load`, again whenever `deps` change or `reload()` is called. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: string; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(undefined)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload };
}

export function Loading({ error }: { error?: string }) {
  const { t } = useT();
  return error ? (
    <p className="error">
      {t("error")}: {error}
    </p>
  ) : (
    <p className="muted">{t("loading")}</p>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const { e } = useT();
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-testid="status-badge" data-status={status}>
      {e("status", status)}
    </span>
  );
}

/** What a list shows when it has nothing to show. */
export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <p className="empty muted" data-testid="empty">
      {children}
    </p>
  );
}

export function Card({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <section className="card" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A starting metadata object per evidence kind: the fields both verifiers check (the licence the regulator looks up). */
export const METADATA_TEMPLATES: Record<string, object> = {
  PURCHASE_CONTRACT: { supplierLicence: "", contractNumber: "" },
  INVOICE: { supplierLicence: "", invoiceNumber: "" },
  DELIVERY_NOTE: { supplierLicence: "", deliveryNumber: "" },
  INSPECTION_REPORT: { labLicence: "", reportNumber: "", unitsTested: 0, unitsPassed: 0 },
  CERTIFICATION: { labLicence: "", certificate: "" },
  PATENT_FILING: { patentNumber: "" },
  SPOT_CHECK_REPORT: { reportNumber: "" },
};

export { EVIDENCE_KINDS };

/** POST /documents as multipart: the facility, the evidence kind, metadata JSON and the file. */
export function UploadForm({ api, facilityId, onDone }: { api: Api; facilityId?: string; onDone?: () => void }) {
  const { t, e, problem } = useT();
  const [facility, setFacility] = useState(facilityId ?? "");
  const [kind, setKind] = useState("INVOICE");
  const [metadata, setMetadata] = useState(JSON.stringify(METADATA_TEMPLATES.INVOICE));
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setFacility(facilityId ?? ""), [facilityId]);
  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const file = (event.currentTarget.elements.namedItem("file") as HTMLInputElement).files?.[0];
    if (!file) return setMessage({ ok: false, text: t("file") + "?" });
    const form = new FormData();
    form.append("facilityId", facility);
    form.append("kind", kind);
    if (metadata.trim()) form.append("metadata", metadata);
    form.append("file", file, file.name);
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      const doc = await api.post("/documents", form);
      setMessage({ ok: true, text: `${t("uploaded")} ${doc.evidenceId ?? doc.id}` });
      onDone?.();
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form" onSubmit={submit} data-testid="upload-form">
      <label>
        {t("facility")}
        <input
          name="facilityId"
          value={facility}
          required
          inputMode="numeric"
          onChange={(event) => setFacility(event.target.value)}
          disabled={!!facilityId}
        />
      </label>
      <label>
        {t("kind")}
        <select
          name="kind"
          value={kind}
          onChange={(event) => {
            setKind(event.target.value);
            setMetadata(JSON.stringify(METADATA_TEMPLATES[event.target.value] ?? {}));
          }}
        >
          {EVIDENCE_KINDS.map((k) => (
            <option key={k} value={k}>
              {e("kind", k)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("metadata")}
        <input name="metadata" value={metadata} onChange={(event) => setMetadata(event.target.value)} />
      </label>
      <label>
        {t("file")}
        <input name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,.json,.xml" />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? t("pending") : t("upload")}
      </button>
      {message && (
        <p className={message.ok ? "ok" : "error"} data-testid="upload-result">
          {message.text}
        </p>
      )}
    </form>
  );
}

/**
 * The on-chain status of each facility of GET /facilities, whose rows only know the application (CREATING/ACTIVE).
 * With a regulator key it is computed from two list requests — the spot checks (a FAIL freezes at once) and the
 * applied unfreezes (a joint unfreeze can only be proposed for a frozen facility, so it lifts every failed spot check
 * recorded before it was proposed). A bank officer's key cannot read the regulator's spot checks, so there the status
 * comes from each facility's own record (one request per facility, made in parallel).
 */
export async function facilitiesWithChainStatus(api: Api, regulatorKey?: boolean): Promise<{ items: any[] }> {
  const { items } = await api.get("/facilities");
  if (regulatorKey) {
    const [spotChecks, approvals] = await Promise.all([
      api.regGet("/spot-checks").catch(() => null),
      api.get("/approvals").catch(() => null),
    ]);
    if (spotChecks && approvals)
      return { items: items.map((f: any) => ({ ...f, status: statusOf(f, spotChecks.items, approvals.items) })) };
  }
  return {
    items: await Promise.all(
      items.map(async (f: any) =>
        f.facilityId ? { ...f, status: (await api.get(`/facilities/${f.facilityId}`)).status } : f,
      ),
    ),
  };
}
