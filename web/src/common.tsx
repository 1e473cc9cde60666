import { useCallback, useEffect, useState } from "react";
import { ApiError, type Api } from "./api";
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
  const { t } = useT();
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-testid="status-badge">
      {t(status)}
    </span>
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

export const problemText = (e: unknown) =>
  e instanceof ApiError ? `${e.status} ${e.body?.code ?? ""}: ${e.body?.detail ?? e.message}` : String(e);

export const EVIDENCE_KINDS = [
  "PURCHASE_CONTRACT",
  "INVOICE",
  "DELIVERY_NOTE",
  "INSPECTION_REPORT",
  "CERTIFICATION",
  "PATENT_FILING",
  "SPOT_CHECK_REPORT",
];

/** POST /documents as multipart: the facility, the evidence kind, metadata JSON and the file. */
export function UploadForm({ api, facilityId, onDone }: { api: Api; facilityId?: string; onDone?: () => void }) {
  const { t } = useT();
  const [facility, setFacility] = useState(facilityId ?? "1");
  const [kind, setKind] = useState("INVOICE");
  const [metadata, setMetadata] = useState('{"invoiceNumber":"INV-0001"}');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setFacility(facilityId ?? "1"), [facilityId]);
  async function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const file = (e.currentTarget.elements.namedItem("file") as HTMLInputElement).files?.[0];
    if (!file) return setMessage({ ok: false, text: t("file") + "?" });
    const form = new FormData();
    form.append("facilityId", facility);
    form.append("kind", kind);
    if (metadata.trim()) form.append("metadata", metadata);
    form.append("file", file, file.name);
    setBusy(true);
    try {
      const doc = await api.post("/documents", form);
      setMessage({ ok: true, text: `${t("uploaded")} ${doc.evidenceId}` });
      onDone?.();
    } catch (error) {
      setMessage({ ok: false, text: problemText(error) });
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
          onChange={(e) => setFacility(e.target.value)}
          disabled={!!facilityId}
        />
      </label>
      <label>
        {t("kind")}
        <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          {EVIDENCE_KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <label>
        {t("metadata")}
        <input name="metadata" value={metadata} onChange={(e) => setMetadata(e.target.value)} />
      </label>
      <label>
        {t("file")}
        <input name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,.json,.xml" />
      </label>
      <button type="submit" disabled={busy}>
        {t("upload")}
      </button>
      {message && <p className={message.ok ? "ok" : "error"}>{message.text}</p>}
    </form>
  );
}

/** GET /facilities with each facility's status from the chain (the list's rows only know the application). */
export async function facilitiesWithChainStatus(api: Api): Promise<{ items: any[] }> {
  const { items } = await api.get("/facilities");
  return {
    items: await Promise.all(
      items.map(async (f: any) =>
        f.facilityId ? { ...f, status: (await api.get(`/facilities/${f.facilityId}`)).status } : f,
      ),
    ),
  };
}
