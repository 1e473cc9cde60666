/** Money on the command line: the domain's rules (domain/money.ts), shared with the nodes and the dashboard. */
export { AmountError, formatBps, formatFen, parseCny, parseFen } from "../domain/money";
