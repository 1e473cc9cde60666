import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** A node's Prometheus registry: HTTP metrics plus gauges the components update. */
export function createMetrics(nodeRole: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeRole });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: "qfm_http_request_duration_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    documentsUploaded: new Counter({
      name: "qfm_documents_uploaded_total",
      help: "Documents stored",
      registers: [registry],
    }),
    documentsAnchored: new Counter({
      name: "qfm_documents_anchored_total",
      help: "Documents confirmed on chain",
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: "qfm_outbox_pending_jobs",
      help: "Chain writes waiting or in flight",
      registers: [registry],
    }),
    outboxFailures: new Counter({
      name: "qfm_outbox_failures_total",
      help: "Chain write attempts that failed",
      labelNames: ["kind", "retryable"] as const,
      registers: [registry],
    }),
    indexedBlock: new Gauge({
      name: "qfm_indexer_block",
      help: "Last block the indexer processed",
      registers: [registry],
    }),
    indexerReorgs: new Counter({
      name: "qfm_indexer_reorgs_total",
      help: "Reorgs the indexer rolled back",
      registers: [registry],
    }),
    verdicts: new Counter({
      name: "qfm_verdicts_total",
      help: "Verdicts this node's verifier gave",
      labelNames: ["verdict"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
