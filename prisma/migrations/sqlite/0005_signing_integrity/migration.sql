-- AlterTable
ALTER TABLE "Verification" ADD COLUMN "mac" TEXT;
ALTER TABLE "Verification" ADD COLUMN "recheckedAt" DATETIME;
ALTER TABLE "Verification" ADD COLUMN "revokeMac" TEXT;
ALTER TABLE "Verification" ADD COLUMN "revokeReason" TEXT;
ALTER TABLE "Verification" ADD COLUMN "revokedAt" DATETIME;

-- CreateTable
CREATE TABLE "DocumentIntegrity" (
    "documentId" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL DEFAULT 'OK',
    "actualHash" TEXT,
    "checkedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "UnresolvedAnchor" (
    "root" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "saltedHash" TEXT,
    "status" TEXT NOT NULL DEFAULT 'WAITING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT NOT NULL DEFAULT '',
    "firstSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" DATETIME
);

-- CreateIndex
CREATE INDEX "DocumentIntegrity_checkedAt_idx" ON "DocumentIntegrity"("checkedAt");

-- CreateIndex
CREATE INDEX "UnresolvedAnchor_status_nextAttemptAt_idx" ON "UnresolvedAnchor"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Verification_verdict_recheckedAt_idx" ON "Verification"("verdict", "recheckedAt");
