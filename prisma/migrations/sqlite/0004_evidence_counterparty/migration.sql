-- CreateTable
CREATE TABLE "EvidenceSeen" (
    "evidenceId" TEXT NOT NULL PRIMARY KEY,
    "contentHash" TEXT NOT NULL,
    "businessKey" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Document" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "facilityId" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "originalName" TEXT NOT NULL,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "contentHash" TEXT NOT NULL,
    "salt" TEXT NOT NULL,
    "saltedHash" TEXT NOT NULL,
    "evidenceId" TEXT NOT NULL,
    "counterparty" TEXT NOT NULL DEFAULT '',
    "businessKey" TEXT,
    "uploadedBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "batchId" TEXT,
    "proof" TEXT,
    "anchoredAt" DATETIME,
    CONSTRAINT "Document_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "Batch" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Document" ("anchoredAt", "batchId", "contentHash", "createdAt", "evidenceId", "facilityId", "id", "kind", "metadata", "mimeType", "originalName", "proof", "salt", "saltedHash", "size", "status", "uploadedBy") SELECT "anchoredAt", "batchId", "contentHash", "createdAt", "evidenceId", "facilityId", "id", "kind", "metadata", "mimeType", "originalName", "proof", "salt", "saltedHash", "size", "status", "uploadedBy" FROM "Document";
DROP TABLE "Document";
ALTER TABLE "new_Document" RENAME TO "Document";
CREATE UNIQUE INDEX "Document_evidenceId_key" ON "Document"("evidenceId");
CREATE UNIQUE INDEX "Document_businessKey_key" ON "Document"("businessKey");
CREATE INDEX "Document_status_createdAt_idx" ON "Document"("status", "createdAt");
CREATE INDEX "Document_facilityId_idx" ON "Document"("facilityId");
CREATE INDEX "Document_batchId_idx" ON "Document"("batchId");
CREATE INDEX "Document_contentHash_idx" ON "Document"("contentHash");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "EvidenceSeen_contentHash_idx" ON "EvidenceSeen"("contentHash");

-- CreateIndex
CREATE INDEX "EvidenceSeen_businessKey_idx" ON "EvidenceSeen"("businessKey");
