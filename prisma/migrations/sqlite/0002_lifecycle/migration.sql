-- AlterTable
ALTER TABLE "OutboxJob" ADD COLUMN "rawTx" TEXT;

-- CreateTable
CREATE TABLE "Payee" (
    "address" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "creditCode" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "licenceHash" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "chainStatus" TEXT NOT NULL DEFAULT 'PENDING',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "WhiteListEntry" (
    "creditCode" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "grade" TEXT NOT NULL,
    "credit" INTEGER NOT NULL,
    "management" INTEGER NOT NULL,
    "brand" INTEGER NOT NULL,
    "foundation" INTEGER NOT NULL,
    "innovation" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "importedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Facility" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "facilityId" BIGINT,
    "borrower" TEXT NOT NULL,
    "borrowerName" TEXT NOT NULL,
    "creditCode" TEXT NOT NULL,
    "productId" TEXT NOT NULL,
    "productVersion" INTEGER NOT NULL,
    "grade" TEXT NOT NULL,
    "creditLimit" BIGINT NOT NULL,
    "termMonths" INTEGER NOT NULL,
    "baseRateBps" INTEGER NOT NULL,
    "qualityFloorBps" INTEGER NOT NULL,
    "subsidyBps" INTEGER NOT NULL,
    "plan" TEXT NOT NULL,
    "targets" TEXT NOT NULL,
    "fastTrack" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'CREATING',
    "appliedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdTx" TEXT,
    "firstPaymentAt" DATETIME,
    "createdBy" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "facilityId" BIGINT NOT NULL,
    "message" TEXT NOT NULL,
    "bankSignature" TEXT,
    "regulatorSignature" TEXT,
    "status" TEXT NOT NULL DEFAULT 'AWAITING_REGULATOR',
    "reason" TEXT NOT NULL DEFAULT '',
    "txHash" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ReviewDecision" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "facilityId" BIGINT NOT NULL,
    "periodFrom" DATETIME NOT NULL,
    "periodTo" DATETIME NOT NULL,
    "productId" TEXT NOT NULL,
    "inputs" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "approvalId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SpotCheck" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "facilityId" BIGINT NOT NULL,
    "result" TEXT NOT NULL,
    "reportNumber" TEXT NOT NULL,
    "findings" TEXT NOT NULL,
    "reportHash" TEXT NOT NULL,
    "inspector" TEXT NOT NULL,
    "freezeTx" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Verification" (
    "evidenceId" TEXT NOT NULL PRIMARY KEY,
    "facilityId" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "verdict" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "contentHash" TEXT,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "checkedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "submitted" BOOLEAN NOT NULL DEFAULT false,
    "txHash" TEXT
);
INSERT INTO "new_Verification" ("checkedAt", "contentHash", "evidenceId", "facilityId", "kind", "reason", "submitted", "txHash", "verdict") SELECT "checkedAt", "contentHash", "evidenceId", "facilityId", "kind", "reason", "submitted", "txHash", "verdict" FROM "Verification";
DROP TABLE "Verification";
ALTER TABLE "new_Verification" RENAME TO "Verification";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Facility_facilityId_key" ON "Facility"("facilityId");

-- CreateIndex
CREATE INDEX "Approval_facilityId_kind_idx" ON "Approval"("facilityId", "kind");

-- CreateIndex
CREATE INDEX "ReviewDecision_facilityId_idx" ON "ReviewDecision"("facilityId");

-- CreateIndex
CREATE INDEX "SpotCheck_facilityId_idx" ON "SpotCheck"("facilityId");
