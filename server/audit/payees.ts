import { address, categoryOf, hex, type Positioned } from "./decode";
import type { AuditReport, ChainRef } from "./schema";

type PayeeHistory = AuditReport["payees"][number];

/** The payee registry replayed from its events: each payee's registration as it stood at any point, and its history. */
export class PayeeReplay {
  private readonly payees = new Map<string, Omit<PayeeHistory, "address">>();

  /** Takes a PayeeRegistry event. */
  apply(event: Positioned, at: ChainRef): void {
    const a = event.args;
    const payee = address(a.payee);
    const state = this.payees.get(payee) ?? { current: null, history: [] };
    this.payees.set(payee, state);
    const none = { category: null, licenceHash: null, reasonHash: null };
    switch (event.name) {
      case "PayeeRegistered":
      case "PayeeUpdated": {
        const category = categoryOf(a.category);
        const licenceHash = hex(a.licenceHash);
        state.current = { category, licenceHash, active: state.current?.active ?? true };
        const kind = event.name === "PayeeRegistered" ? "REGISTERED" : "UPDATED";
        state.history.push({ event: kind, ...none, category, licenceHash, at });
        return;
      }
      case "PayeeDeactivated":
        if (state.current) state.current = { ...state.current, active: false };
        state.history.push({ event: "DEACTIVATED", ...none, reasonHash: hex(a.reasonHash), at });
        return;
      case "PayeeReactivated":
        if (state.current) state.current = { ...state.current, active: true };
        state.history.push({ event: "REACTIVATED", ...none, at });
        return;
    }
  }

  /** The payee's registration now (a copy), or null when it was never registered. */
  current(payee: string): PayeeHistory["current"] {
    const current = this.payees.get(payee)?.current;
    return current ? { ...current } : null;
  }

  historyOf(payee: string): PayeeHistory {
    const state = this.payees.get(payee);
    return { address: payee, current: state?.current ?? null, history: state?.history ?? [] };
  }
}
