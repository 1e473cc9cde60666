/** The pieces of the dashboard's forms: labelled inputs, choices, the button that sends, and what the request answered. */
import { useT } from "./i18n";

/** A labelled text input; `onText` gets what was typed. What follows the input (a hint) comes as children. */
export function TextField({
  label,
  onText,
  children,
  ...input
}: { label: string; onText: (text: string) => void; children?: React.ReactNode } & Omit<
  React.InputHTMLAttributes<HTMLInputElement>,
  "onChange" | "children"
>) {
  return (
    <label>
      {label}
      <input {...input} onChange={(event) => onText(event.target.value)} />
      {children}
    </label>
  );
}

/**
 * What a request answered: its text, as "ok" or "error"; nothing before the first request. With `tx`, the transaction
 * it landed in as data-tx ("" while there is none). What follows the text comes as children.
 */
export function Outcome({
  message,
  testId,
  tx,
  children,
}: {
  message?: { ok: boolean; text: string; txHash?: string | null };
  testId: string;
  tx?: boolean;
  children?: React.ReactNode;
}) {
  if (!message) return null;
  return (
    <p className={message.ok ? "ok" : "error"} data-testid={testId} data-tx={tx ? (message.txHash ?? "") : undefined}>
      {message.text}
      {children}
    </p>
  );
}

/** A button that sends a request: disabled and "pending" while one runs. */
export function Send({
  busy,
  label,
  disabled,
  ...button
}: { busy: boolean; label: string } & Omit<React.ButtonHTMLAttributes<HTMLButtonElement>, "children">) {
  const { t } = useT();
  return (
    <button {...button} disabled={busy || !!disabled}>
      {busy ? t("pending") : label}
    </button>
  );
}

/** A choice of payee by name (its address is the value); "" until one is chosen. */
export function PayeeSelect({
  name,
  value,
  payees,
  onPick,
}: {
  name: string;
  value: string;
  payees: ReadonlyArray<{ address: string; name: string }>;
  onPick: (address: string) => void;
}) {
  const { t } = useT();
  return (
    <select name={name} value={value} onChange={(event) => onPick(event.target.value)}>
      <option value="">{t("choosePayee")}</option>
      {payees.map((p) => (
        <option key={p.address} value={p.address}>
          {p.name}
        </option>
      ))}
    </select>
  );
}
