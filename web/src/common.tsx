import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "./api";
import { statusOf } from "./status";
import { useT } from "./i18n";

/** How often a view reads its data again by itself (chain actions land within a few blocks). */
export const REFRESH_MS = 4_000;

/**
 * Loads data with `load`, again whenever `deps` change or `reload()` is called, and every `every` ms while the page is
 * visible (0: never) — so a view shows what the chain did without a manual reload. A refresh keeps the data shown
 * until the new data arrives; a failed refresh keeps the last data and shows the error beside it.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  every = 0,
): { data?: T; error?: string; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  // A slow node is not asked again while it is still answering.
  const inFlight = useRef(false);
  useEffect(() => {
    let live = true;
    inFlight.current = true;
    load()
      .then(
        (d) => live && (setData(d), setError(undefined)),
        (e: Error) => live && setError(e.message),
      )
      .finally(() => (inFlight.current = false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  useEffect(() => {
    if (!every) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== "hidden" && !inFlight.current) setTick((n) => n + 1);
    }, every);
    return () => clearInterval(timer);
  }, [every]);
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
