-- AlterTable
ALTER TABLE "OutboxJob" ADD COLUMN     "rawTx" TEXT;

-- AlterTable
ALTER TABLE "Verification" ADD COLUMN     "metadata" TEXT NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "Payee" (
    "address" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "creditCode" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "licenceHash" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "chainStatus" TEXT NOT NULL DEFAULT 'PENDING',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Payee_pkey" PRIMARY KEY ("address")
);

-- CreateTable
CREATE TABLE "WhiteListEntry" (
    "creditCode" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "grade" TEXT NOT NULL,
    "credit" INTEGER NOT NULL,
    "management" INTEGER NOT NULL,
    "brand" INTEGER NOT NULL,
    "foundation" INTEGER NOT NULL,
    "innovation" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WhiteListEntry_pkey" PRIMARY KEY ("creditCode")
);

-- CreateTable
CREATE TABLE "Facility" (
    "id" TEXT NOT NULL,
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
    "appliedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdTx" TEXT,
    "firstPaymentAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,

    CONSTRAINT "Facility_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "facilityId" BIGINT NOT NULL,
    "message" TEXT NOT NULL,
    "bankSignature" TEXT,
    "regulatorSignature" TEXT,
    "status" TEXT NOT NULL DEFAULT 'AWAITING_REGULATOR',
    "reason" TEXT NOT NULL DEFAULT '',
    "txHash" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Approval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReviewDecision" (
    "id" TEXT NOT NULL,
    "facilityId" BIGINT NOT NULL,
    "periodFrom" TIMESTAMP(3) NOT NULL,
    "periodTo" TIMESTAMP(3) NOT NULL,
    "productId" TEXT NOT NULL,
    "inputs" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "approvalId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReviewDecision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SpotCheck" (
    "id" TEXT NOT NULL,
    "facilityId" BIGINT NOT NULL,
    "result" TEXT NOT NULL,
    "reportNumber" TEXT NOT NULL,
    "findings" TEXT NOT NULL,
    "reportHash" TEXT NOT NULL,
    "inspector" TEXT NOT NULL,
    "freezeTx" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SpotCheck_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Facility_facilityId_key" ON "Facility"("facilityId");

-- CreateIndex
CREATE INDEX "Approval_facilityId_kind_idx" ON "Approval"("facilityId", "kind");

-- CreateIndex
CREATE INDEX "ReviewDecision_facilityId_idx" ON "ReviewDecision"("facilityId");

-- CreateIndex
CREATE INDEX "SpotCheck_facilityId_idx" ON "SpotCheck"("facilityId");
