import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "./api";
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
