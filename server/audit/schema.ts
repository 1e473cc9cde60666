// The audit report's schemas are the domain's (domain/api/audit.ts): the CLI reads the report with the same types.
export * from "../../domain/api/audit";
