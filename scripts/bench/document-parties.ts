/**
 * `node --import tsx scripts/bench/document-parties.ts`: the time of the bank node's documents list (GET /documents,
 * first page of BENCH_PAGE = 50) when the chain has many entrusted payments: BENCH_EVENTS (5,000) PaymentExecuted events
 * indexed, each consuming two evidence ids, and BENCH_DOCUMENTS (1,000) documents, one in ten consumed. In process: a
 * freshly migrated database (SQLite in a temporary file; PostgreSQL in a schema of its own, dropped afterwards, when
 * BENCH_DATABASE_URL is a postgresql:// URL), the bank node's routes on a free port with no chain behind them (the list
 * reads none). BENCH_REQUESTS (200) requests one after another after 20 to warm up; prints {"p50Ms","p95Ms","meanMs"}.
 */
import { Wallet, hexlify, randomBytes } from "ethers";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { devWallet } from "../lib/deploy-config";
import { createChain } from "../../server/chain/chain";
import { createDatabase } from "../../server/db/client";
import { migrateDatabase } from "../../server/db/migrate";
import { parseDatabaseUrl } from "../../server/db/url";
import { serveBankNode } from "../../test/helpers/nodeParts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000);
const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 1_000);
const PAGE = Number(process.env.BENCH_PAGE ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const FACILITIES = 20;

const hex32 = () => hexlify(randomBytes(32));

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qfm-bench-parties-"));
  const given = process.env.BENCH_DATABASE_URL;
  const schema = `bench_parties_${process.pid}`;
  let url = `file:${path.join(dir, "db.sqlite")}`;
  if (given) {
    const target = new URL(given);
    target.searchParams.set("schema", schema);
    url = target.toString();
  }
  await migrateDatabase(url);
  const db = createDatabase(url);
  const logger = pino({ level: "silent" });
  try {
    const payee = Wallet.createRandom().address;
    const evidenceIds = Array.from({ length: EVENTS * 2 }, hex32);
    // The payments' events and their evidence ids, as the indexer stores them (server/indexer/indexer.ts).
    const events = Array.from({ length: EVENTS }, (_, i) => {
      const blockHash = hex32();
      return {
        id: `${blockHash}:0`,
        blockNumber: BigInt(i + 1),
        blockHash,
        txHash: hex32(),
        logIndex: 0,
        address: payee,
        name: "PaymentExecuted",
        args: JSON.stringify({
          facilityId: String((i % FACILITIES) + 1),
          index: String(i),
          payee,
          amount: "100000",
          evidenceIds: evidenceIds.slice(i * 2, i * 2 + 2),
        }),
      };
    });
    await db.prisma.chainEvent.createMany({ data: events });
    await db.prisma.consumedEvidence.createMany({
      data: events.flatMap((event, i) =>
        evidenceIds.slice(i * 2, i * 2 + 2).map((evidenceId) => ({
          evidenceId,
          eventId: event.id,
          facilityId: BigInt((i % FACILITIES) + 1),
          paymentIndex: i,
          txHash: event.txHash,
          blockNumber: event.blockNumber,
        })),
      ),
    });
    await db.prisma.document.createMany({
      data: Array.from({ length: DOCUMENTS }, (_, i) => ({
        id: randomUUID(),
        facilityId: BigInt((i % FACILITIES) + 1),
        kind: "INVOICE",
        mimeType: "application/pdf",
        size: 10,
        originalName: `invoice-${i}.pdf`,
        contentHash: hex32(),
        salt: hex32(),
        saltedHash: hex32(),
        // One in ten is evidence a payment consumed (payment i, of the same facility).
        evidenceId: i % 10 === 0 ? evidenceIds[i * 2] : hex32(),
        counterparty: payee,
        uploadedBy: "bench",
        status: "ANCHORED",
        createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1_000),
      })),
    });

    // No chain node: the documents list reads none (a request that did would fail and show in the timings).
    const chain = createChain({
      deployment: {
        chainId: "31337",
        rpcUrl: "http://127.0.0.1:9",
        deployedAt: new Date().toISOString(),
        blockNumber: 0,
        contracts: {
          SettlementToken: Wallet.createRandom().address,
          PayeeRegistry: Wallet.createRandom().address,
          EvidenceRegistry: Wallet.createRandom().address,
          FacilityManager: Wallet.createRandom().address,
        },
        roles: { admin: payee, bank: payee, regulator: payee, fiscal: payee, verifiers: [], threshold: 2 },
      },
      signerKey: devWallet("bank").privateKey,
    });
    const node = await serveBankNode({ db, chain, logger, documentsDir: path.join(dir, "documents") });
    const [base, key] = [node.url, node.officerKey];
    const list = async () => {
      const started = performance.now();
      const response = await fetch(`${base}/documents?limit=${PAGE}`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await response.json()) as { items: Array<{ consumedBy: unknown }> };
      if (response.status !== 200) throw new Error(`GET /documents answered ${response.status}`);
      return { ms: performance.now() - started, consumed: body.items.filter((d) => d.consumedBy).length };
    };
    for (let i = 0; i < 20; i++) await list();
    const times: number[] = [];
    let consumed = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const { ms, consumed: c } = await list();
      times.push(ms);
      consumed = c;
    }
    await node.close();
    chain.close();
    times.sort((a, b) => a - b);
    const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 100) / 100;
    const mean = Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 100) / 100;
    console.log(
      JSON.stringify({
        database: parseDatabaseUrl(url).provider,
        events: EVENTS,
        documents: DOCUMENTS,
        page: PAGE,
        consumedOnPage: consumed,
        p50Ms: at(0.5),
        p95Ms: at(0.95),
        meanMs: mean,
      }),
    );
  } finally {
    await db.close();
    if (given) {
      const target = parseDatabaseUrl(given);
      if (target.provider !== "postgresql") throw new Error("BENCH_DATABASE_URL must be a postgresql:// URL");
      const client = new pg.Client({ connectionString: target.connectionString });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
