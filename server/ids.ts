import { randomBytes } from "node:crypto";

let lastMs = 0;
let sequence = 0;

/**
 * A sortable id: milliseconds since the epoch, a per-millisecond sequence and randomness. Ids made later in a process
 * (and, clocks permitting, across restarts) sort after earlier ones, so "order by id" is creation order.
 */
export function orderedId(): string {
  const now = Date.now();
  if (now === lastMs) sequence++;
  else {
    lastMs = now;
    sequence = 0;
  }
  return `${now.toString(36).padStart(9, "0")}${sequence.toString(36).padStart(4, "0")}${randomBytes(6).toString("hex")}`;
}
