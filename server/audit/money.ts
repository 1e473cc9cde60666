// The audit's money rules are the domain's (domain/money.ts): plain yuan for the CSV, shares rounded down.
export { fenToCny, shareBps } from "../../domain/money";
