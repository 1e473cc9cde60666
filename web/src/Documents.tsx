import type { Api } from "./api";
import { Card, Empty, Head, Loading, REFRESH_MS, useLoad } from "./common";
import { useT } from "./i18n";
import { shortAddress } from "./money";

/**
 * A facility's documents as the bank node lists them: each one's counterparty (the payee or the borrower, by name
 * where the bank knows it; the address its evidence id commits to on hover) and the entrusted payment that consumed it.
 */
export function DocumentTable({ api, facilityId }: { api: Api; facilityId: string }) {
  const { t, e, time } = useT();
  // Read again by itself: an upload shows QUEUED, then BATCHED, then ANCHORED as the chain takes it.
  const { data, error } = useLoad(
    () => api.get(`/documents?facilityId=${facilityId}&limit=200`),
    [facilityId],
    REFRESH_MS,
  );
  if (!data) return <Loading error={error} />;
  return (
    <Card title={t("documents")} testId="documents">
      {data.items.length === 0 ? (
        <Empty>{t("noEvidence")}</Empty>
      ) : (
        <div className="scroll">
          <table className="plan">
            <Head columns={["kind", "counterparty", "status", "consumedBy", "uploadedAt"]} />
            <tbody>
              {data.items.map((d: any) => (
                <tr key={d.id} data-testid="document-row">
                  <td>{e("kind", d.kind)}</td>
                  <td title={d.counterparty} data-testid="document-counterparty">
                    {t(d.counterpartyRole === "payee" ? "payee" : "borrowerName")}:{" "}
                    {d.counterpartyName ?? shortAddress(d.counterparty)}
                  </td>
                  <td>{e("status", d.status)}</td>
                  <td data-testid="document-consumed-by">
                    {d.consumedBy ? `${t("payment")} #${d.consumedBy.paymentIndex}` : "—"}
                  </td>
                  <td>{time(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
