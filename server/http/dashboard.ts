import express from "express";
import fs from "node:fs";
import type { NodeConfig } from "../config";
import { AppError } from "../errors";

/**
 * What the dashboard needs from the bank node besides the API: the regulator node's API under /regulator-api (so the
 * regulator's views work from the one page the bank node serves; the caller's own key is forwarded, the bank node adds
 * no authority), and, in the demo only, the list of demo logins.
 */
export function mountDashboardHelpers(app: express.Express, config: NodeConfig): void {
  if (config.demoLoginsFile) {
    const file = config.demoLoginsFile;
    app.get("/demo/logins", (_req, res) => {
      res.json(JSON.parse(fs.readFileSync(file, "utf8")));
    });
  }
  if (config.regulatorNodeUrl) {
    const target = config.regulatorNodeUrl.replace(/\/$/, "");
    app.use(
      "/regulator-api",
      express.raw({ type: () => true, limit: config.limits.uploadBytes }),
      async (req, res, next) => {
        try {
          const headers: Record<string, string> = {};
          for (const name of ["authorization", "content-type", "accept"]) {
            const value = req.headers[name];
            if (typeof value === "string") headers[name] = value;
          }
          // JSON bodies were already parsed by the app's JSON parser; anything else arrives raw.
          const body = ["GET", "HEAD"].includes(req.method)
            ? undefined
            : Buffer.isBuffer(req.body)
              ? new Uint8Array(req.body)
              : req.body && typeof req.body === "object"
                ? JSON.stringify(req.body)
                : undefined;
          const response = await fetch(`${target}${req.url}`, {
            method: req.method,
            headers,
            body,
            signal: AbortSignal.timeout(config.chainWaitMs + 15_000),
          });
          res.status(response.status);
          const type = response.headers.get("content-type");
          if (type) res.type(type);
          res.send(Buffer.from(await response.arrayBuffer()));
        } catch (error) {
          next(
            new AppError(
              502,
              "regulator_node_unreachable",
              `the regulator node at ${target} did not answer: ${(error as Error).message}`,
              { retryable: true },
            ),
          );
        }
      },
    );
  }
}
