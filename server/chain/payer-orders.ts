/** Moved to domain/chain/payer-orders.ts (the CLI signs orders with it too); re-exported for the server. */
export * from "../../domain/chain/payer-orders";
