-- AlterTable
ALTER TABLE "Verification" ADD COLUMN     "mac" TEXT,
ADD COLUMN     "recheckedAt" TIMESTAMP(3),
ADD COLUMN     "revokeMac" TEXT,
ADD COLUMN     "revokeReason" TEXT,
ADD COLUMN     "revokedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DocumentIntegrity" (
    "documentId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OK',
    "actualHash" TEXT,
    "checkedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DocumentIntegrity_pkey" PRIMARY KEY ("documentId")
);

-- CreateTable
CREATE TABLE "UnresolvedAnchor" (
    "root" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "saltedHash" TEXT,
    "status" TEXT NOT NULL DEFAULT 'WAITING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT NOT NULL DEFAULT '',
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "UnresolvedAnchor_pkey" PRIMARY KEY ("root")
);

-- CreateIndex
CREATE INDEX "DocumentIntegrity_checkedAt_idx" ON "DocumentIntegrity"("checkedAt");

-- CreateIndex
CREATE INDEX "UnresolvedAnchor_status_nextAttemptAt_idx" ON "UnresolvedAnchor"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Verification_verdict_recheckedAt_idx" ON "Verification"("verdict", "recheckedAt");
