/**
 * The end of a loan in the dashboard: the borrower's repayment and the fiscal account's subsidy payment (the node
 * prepares the order and the permit, this browser signs them with the payer's key — typed here and never sent — or a
 * browser wallet, the node relays), and the bank's closing and withdrawal to the treasury.
 */
import { Wallet } from "ethers";
import { useState } from "react";
import type { Api } from "./api";
import { Card, Empty, Kpi, Loading, REFRESH_MS, StatusBadge, useLoad } from "./common";
import { Outcome, Send, TextField } from "./form";
import type { OrderRequest } from "../../domain/api/settlement";
import type { Statement } from "../../domain/api/statement";
import { useT } from "./i18n";
import { cny, parseCny } from "./money";

/** The payer's order and permit as the node prepares them (POST /facilities/{id}/repayments/order, …/subsidy/order). */
type Prepared = OrderRequest;
type Typed = Prepared["order"] | Prepared["permit"];

const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

/** Both signatures, by the typed key or else an injected wallet (eth_signTypedData_v4). */
async function signPrepared(prepared: Prepared, key: string) {
  const eth = (window as { ethereum?: { request(a: { method: string; params: unknown[] }): Promise<string> } })
    .ethereum;
  const sign = (m: Typed) =>
    key
      ? new Wallet(key).signTypedData(m.domain, m.types, m.message)
      : eth!.request({
          method: "eth_signTypedData_v4",
          params: [prepared.payer, JSON.stringify({ ...m, types: { EIP712Domain: DOMAIN_FIELDS, ...m.types } })],
        });
  return { orderSignature: await sign(prepared.order), permitSignature: await sign(prepared.permit) };
}

/** fen → "1234.56", what the amount box starts with. */
const yuanText = (fen: string | undefined) =>
  fen ? `${BigInt(fen) / 100n}.${(BigInt(fen) % 100n).toString().padStart(2, "0")}` : "";

type Message = { ok: boolean; text: string; txHash?: string | null };

interface PayerOrder {
  api: Api;
  facilityId: string;
  kind: "repayments" | "subsidy";
  /** What the payer owes now, in fen: the amount box starts with it. */
  due: string;
  signerKey?: string;
  onDone: () => void;
}

/**
 * A payer's part of a facility's statement: what is owed by whom, then the borrower's repayment (`repayments`) or the
 * fiscal account's subsidy payment (`subsidy`) signed in this browser, or a line that says nothing is due.
 */
export function PayerSettlement({
  statement,
  ...order
}: Omit<PayerOrder, "facilityId" | "due"> & {
  statement: Pick<Statement, "facilityId" | "amountOwed" | "subsidyDue">;
}) {
  const { t } = useT();
  const due = order.kind === "repayments" ? statement.amountOwed : statement.subsidyDue;
  return (
    <>
      <OwedBy statement={statement} />
      {due !== "0" ? (
        <PayerOrderForm {...order} facilityId={statement.facilityId} due={due} />
      ) : order.kind === "repayments" ? (
        <p className="ok">{t("nothingOwed")}</p>
      ) : (
        <p className="muted">{t("noSubsidyDue")}</p>
      )}
    </>
  );
}

/** A repayment (borrower) or a subsidy payment (fiscal account), signed in this browser. */
function PayerOrderForm({ api, facilityId, kind, due, signerKey, onDone }: PayerOrder) {
  const { t, problem } = useT();
  const [amount, setAmount] = useState(yuanText(due));
  // In full: what is owed (due) when the order lands is paid, so interest accruing meanwhile leaves nothing behind.
  const [inFull, setInFull] = useState(true);
  const [key, setKey] = useState(signerKey ?? "");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>();
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const fen = inFull ? undefined : parseCny(amount);
    if (!inFull && (!fen || fen === "0")) return setMessage({ ok: false, text: t("badAmount") });
    if (!key.trim() && !(window as { ethereum?: unknown }).ethereum)
      return setMessage({ ok: false, text: t("noSigner") });
    setBusy(true);
    setMessage({ ok: true, text: t("pending") });
    try {
      const prepared = await api.post(
        `/facilities/${facilityId}/${kind}/order`,
        inFull ? { inFull: true } : { amount: fen },
      );
      if (key.trim() && new Wallet(key.trim()).address.toLowerCase() !== prepared.payer.toLowerCase())
        return setMessage({ ok: false, text: `${t("wrongSigner")} ${prepared.payer}` });
      const signatures = await signPrepared(prepared, key.trim());
      setMessage({ ok: true, text: t("onItsWay") });
      const done = await api.post(`/facilities/${facilityId}/${kind}`, {
        amount: prepared.amount,
        inFull: prepared.inFull,
        deadline: prepared.deadline,
        ...signatures,
      });
      setMessage({
        ok: true,
        text: done.txHash ? `${t("doneTx")} ${done.txHash}` : t("onItsWay"),
        txHash: done.txHash,
      });
      onDone();
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  const testId = kind === "repayments" ? "repay" : "subsidy";
  return (
    <form className="form" onSubmit={submit} data-testid={`${testId}-form`}>
      <label className="check">
        <input name="inFull" type="checkbox" checked={inFull} onChange={(e) => setInFull(e.target.checked)} />
        {kind === "repayments" ? t("repayInFull") : t("payDueInFull")}
      </label>
      <TextField
        label={t("amountCny")}
        name="amount"
        value={amount}
        disabled={inFull}
        onText={setAmount}
        inputMode="decimal"
      />
      <TextField
        label={t("signingKey")}
        name="signerKey"
        type="password"
        autoComplete="off"
        value={key}
        onText={setKey}
        placeholder="0x…"
      />
      <Send type="submit" busy={busy} label={kind === "repayments" ? t("repay") : t("paySubsidy")} />
      <Outcome message={message} testId={`${testId}-result`} tx />
    </form>
  );
}

/** What is owed by whom, at the chain's time (the statement's figures). */
function OwedBy({ statement }: { statement: any }) {
  const { time } = useT();
  return (
    <div className="kpis" data-testid="owed-by">
      <Kpi label="owedByBorrower" testId="owed-borrower">
        {cny(statement.owedBy.borrower.total)}
      </Kpi>
      <Kpi label="owedByFiscal" testId="owed-fiscal">
        {cny(statement.owedBy.fiscal.subsidy)}
      </Kpi>
      <Kpi label="subsidyPaid">{cny(statement.subsidyPaid)}</Kpi>
      <Kpi label="balance" testId="settlement-balance">
        {cny(statement.balance)}
      </Kpi>
      <Kpi label="withdrawn">{cny(statement.withdrawn)}</Kpi>
      <Kpi label="statementAt">{time(statement.at)}</Kpi>
    </div>
  );
}

/** The bank officer's end of a loan: close once nothing is owed, withdraw the balance to the treasury. */
export function SettlementCard({ api, statement, onDone }: { api: Api; statement: any; onDone: () => void }) {
  const { t, problem } = useT();
  const [amount, setAmount] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>();
  const id = statement.facilityId;
  async function act(path: "close" | "withdraw", body: object) {
    setBusy(true);
    setMessage({ ok: true, text: t("onItsWay") });
    try {
      const done = await api.post(`/facilities/${id}/${path}`, body);
      setMessage({
        ok: true,
        text: done.txHash ? `${t("doneTx")} ${done.txHash}` : t("onItsWay"),
        txHash: done.txHash,
      });
      setAmount("");
      onDone();
    } catch (error) {
      setMessage({ ok: false, text: problem(error) });
    } finally {
      setBusy(false);
    }
  }
  function withdraw(event: React.FormEvent) {
    event.preventDefault();
    const fen = amount.trim() ? parseCny(amount) : undefined;
    if (fen === null) return setMessage({ ok: false, text: t("badAmount") });
    void act("withdraw", fen ? { amount: fen } : {});
  }
  return (
    <Card title={t("settlement")} testId="settlement">
      <OwedBy statement={statement} />
      <p className="muted">
        {t("treasury")}: <code>{statement.treasury ?? "—"}</code>
      </p>
      <div className="buttons">
        <button data-testid="close-facility" disabled={busy || !statement.closable} onClick={() => act("close", {})}>
          {t("closeFacility")}
        </button>
        {!statement.closable && statement.status !== "CLOSED" && <span className="muted">{t("notClosable")}</span>}
      </div>
      <form className="form" onSubmit={withdraw} data-testid="withdraw-form">
        <TextField
          label={t("amountCny")}
          name="amount"
          value={amount}
          onText={setAmount}
          placeholder={t("withdrawHint")}
        />
        <button type="submit" disabled={busy || statement.balance === "0" || statement.status === "FROZEN"}>
          {t("withdraw")}
        </button>
      </form>
      <Outcome message={message} testId="settlement-result" tx />
    </Card>
  );
}

/** The fiscal account's desk: each facility's subsidy due, and its payment signed here. */
export function Fiscal({ api, signerKey }: { api: Api; signerKey?: string }) {
  const { t } = useT();
  const { data, error, reload } = useLoad(
    async () => {
      const { items } = await api.get("/facilities");
      const open = items.filter((f: any) => f.facilityId);
      const statements = await Promise.all(open.map((f: any) => api.get(`/facilities/${f.facilityId}/statement`)));
      return open.map((f: any, i: number) => ({ f, statement: statements[i] }));
    },
    [],
    REFRESH_MS,
  );
  if (!data) return <Loading error={error} />;
  return (
    <div data-testid="fiscal">
      <h2>{t("subsidyDesk")}</h2>
      {data.length === 0 && <Empty>{t("noFacilities")}</Empty>}
      {data.map(({ f, statement }: any) => (
        <Card
          key={f.facilityId}
          title={`${t("facility")} #${f.facilityId} · ${f.borrowerName}`}
          testId="fiscal-facility"
        >
          <StatusBadge status={statement.status} />
          <PayerSettlement api={api} kind="subsidy" statement={statement} signerKey={signerKey} onDone={reload} />
        </Card>
      ))}
    </div>
  );
}
