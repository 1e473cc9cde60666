import fs from "node:fs";
import path from "node:path";

/** What the deploy script (scripts/deploy.ts) writes and the server nodes read. */
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
    /** Holds every admin power; executes what the council scheduled once the delay has passed. */
    TimelockController?: string;
    /** The institutions' governance keys: the timelock's only proposer and canceller. */
    GovernanceCouncil?: string;
  };
  roles: {
    admin: string;
    bank: string;
    regulator: string;
    fiscal: string;
    verifiers: string[];
    threshold: number;
    treasury?: string;
    governance?: { members: string[]; threshold: number; delaySeconds: number };
    issuer?: string;
    /** Fen minted to the bank's hot key at deployment. */
    float?: string;
  };
  /** contract → role → holders, read back from the chain after the deployer renounced its roles. */
  holders?: Record<string, Record<string, string[]>>;
  /** Roles the deployer keeps: always empty (the deploy fails otherwise). */
  deployerKeeps?: string[];
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
