import fs from "node:fs";
import path from "node:path";

/** What the deploy script writes and the server nodes read. */
export interface Deployment {
  chainId: string;
  rpcUrl: string;
  deployedAt: string;
  /** The block before the first contract was deployed: where indexers start. */
  startBlock?: number;
  blockNumber: number;
  contracts: {
    SettlementToken: string;
    PayeeRegistry: string;
    EvidenceRegistry: string;
    FacilityManager: string;
  };
  roles: { admin: string; bank: string; regulator: string; fiscal: string; verifiers: string[]; threshold: number };
}

export const DEPLOYMENTS_DIR = path.resolve(__dirname, "..", "..", "deployments");

export function defaultDeploymentsFile(chainId: bigint | string): string {
  return path.join(DEPLOYMENTS_DIR, `${chainId}.json`);
}

export function writeDeployment(file: string, deployment: Deployment): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
}

export function readDeployment(file: string): Deployment {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Deployment;
}
