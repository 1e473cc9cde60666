import { useCallback, useEffect, useRef, useState } from "react";
import { useT, type Key } from "./i18n";
import { cny, pct } from "./money";

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

/** A table's header row: each column's title by its dictionary key, "#" as it is, "" for a column without a title. */
export function Head({ columns }: { columns: ReadonlyArray<Key | "#" | ""> }) {
  const { t } = useT();
  return (
    <thead>
      <tr>
        {columns.map((column, i) => (
          <th key={i}>{column === "#" ? column : column === "" ? null : t(column)}</th>
        ))}
      </tr>
    </thead>
  );
}

/**
 * A loaded list: while it loads, Loading (or the error it failed with); `empty` when it has no items; else what
 * `children` makes of its items.
 */
export function Listed<T>({
  loaded,
  empty,
  children,
}: {
  loaded: { data?: { items: T[] }; error?: string };
  empty: string;
  children: (items: T[]) => React.ReactNode;
}) {
  if (!loaded.data) return <Loading error={loaded.error} />;
  if (loaded.data.items.length === 0) return <Empty>{empty}</Empty>;
  return <>{children(loaded.data.items)}</>;
}

/** A facility row's last cells: its status, and a button that opens it once the chain has given it an id. */
export function StatusAndOpen({
  facility,
  onOpen,
  testId,
}: {
  facility: { status: string; facilityId: string | null };
  onOpen: (id: string) => void;
  /** The button's test id, before the facility id. */
  testId: string;
}) {
  const { t } = useT();
  const id = facility.facilityId;
  return (
    <>
      <td>
        <StatusBadge status={facility.status} />
      </td>
      <td>
        {id && (
          <button onClick={() => onOpen(id)} data-testid={`${testId}${id}`}>
            {t("open")}
          </button>
        )}
      </td>
    </>
  );
}

/** One figure of a card's row of figures (class "kpis"): its label, and the figure in bold. */
export function Kpi({
  label,
  testId,
  status,
  children,
}: {
  label: Key;
  testId?: string;
  /** The code the figure shows, for tests (data-status). */
  status?: string;
  children: React.ReactNode;
}) {
  const { t } = useT();
  return (
    <div>
      <span>{t(label)}</span>
      <b data-testid={testId} data-status={status}>
        {children}
      </b>
    </div>
  );
}

/**
 * The figures at the top of a facility's card: its status, then from the chain its limit, what is drawn, the balance it
 * holds (where `balance`), its rate now and its base rate; what a page adds after them comes as children.
 */
export function FacilityFigures({
  status,
  chain,
  balance,
  testIds,
  children,
}: {
  status: string;
  chain: { creditLimit: string; drawn: string; balance: string; rateBps: number; baseRateBps: number };
  balance?: boolean;
  testIds: { limit?: string; rate: string };
  children?: React.ReactNode;
}) {
  const { t } = useT();
  return (
    <div className="kpis">
      <div>
        <span>{t("status")}</span>
        <StatusBadge status={status} />
      </div>
      <Kpi label="limit" testId={testIds.limit}>
        {cny(chain.creditLimit)}
      </Kpi>
      <Kpi label="drawn">{cny(chain.drawn)}</Kpi>
      {balance && <Kpi label="balance">{cny(chain.balance)}</Kpi>}
      <Kpi label="rateNow" testId={testIds.rate}>
        {pct(chain.rateBps)}
      </Kpi>
      <Kpi label="baseRate">{pct(chain.baseRateBps)}</Kpi>
      {children}
    </div>
  );
}
