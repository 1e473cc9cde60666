import { Counter, Gauge } from "prom-client";
import type { Metrics } from "../http/metrics";

function create(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    tamperedJobs: new Counter({
      name: "qfm_tampered_jobs_total",
      help: "Outbox jobs refused before signing: no valid MAC, or not what this node's own decision record says",
      labelNames: ["kind"] as const,
      registers,
    }),
    unresolvedAnchors: new Gauge({
      name: "qfm_unresolved_anchors",
      help: "Anchors on chain the bank node cannot resolve, skipped by this node's verifier",
      registers,
    }),
    integrityChecks: new Counter({
      name: "qfm_document_integrity_checks_total",
      help: "Stored documents re-hashed, by outcome (ok, tampered, missing)",
      labelNames: ["outcome"] as const,
      registers,
    }),
    revocations: new Counter({
      name: "qfm_revocations_total",
      help: "Acceptances this node withdrew on chain because the document's bytes changed",
      registers,
    }),
  };
}

const cache = new WeakMap<Metrics, ReturnType<typeof create>>();

/** The integrity metrics of a node, registered once in its registry (beside the HTTP and outbox metrics). */
export function integrityMetrics(metrics: Metrics): ReturnType<typeof create> {
  let found = cache.get(metrics);
  if (!found) cache.set(metrics, (found = create(metrics)));
  return found;
}
