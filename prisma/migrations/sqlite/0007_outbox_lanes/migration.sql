-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_OutboxJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "rawTx" TEXT,
    "txHash" TEXT,
    "nonce" INTEGER,
    "lastError" TEXT,
    "nextRunAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "confirmedAt" DATETIME,
    "lane" TEXT NOT NULL DEFAULT 'MAIN',
    "sender" TEXT
);
INSERT INTO "new_OutboxJob" ("attempts", "confirmedAt", "createdAt", "id", "key", "kind", "lastError", "nextRunAt", "nonce", "payload", "rawTx", "status", "txHash", "updatedAt") SELECT "attempts", "confirmedAt", "createdAt", "id", "key", "kind", "lastError", "nextRunAt", "nonce", "payload", "rawTx", "status", "txHash", "updatedAt" FROM "OutboxJob";
DROP TABLE "OutboxJob";
ALTER TABLE "new_OutboxJob" RENAME TO "OutboxJob";
CREATE UNIQUE INDEX "OutboxJob_key_key" ON "OutboxJob"("key");
CREATE INDEX "OutboxJob_status_nextRunAt_idx" ON "OutboxJob"("status", "nextRunAt");
CREATE INDEX "OutboxJob_lane_status_id_idx" ON "OutboxJob"("lane", "status", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
