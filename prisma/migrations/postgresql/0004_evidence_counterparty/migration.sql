-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "businessKey" TEXT,
ADD COLUMN     "counterparty" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "EvidenceSeen" (
    "evidenceId" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "businessKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EvidenceSeen_pkey" PRIMARY KEY ("evidenceId")
);

-- CreateIndex
CREATE INDEX "EvidenceSeen_contentHash_idx" ON "EvidenceSeen"("contentHash");

-- CreateIndex
CREATE INDEX "EvidenceSeen_businessKey_idx" ON "EvidenceSeen"("businessKey");

-- CreateIndex
CREATE UNIQUE INDEX "Document_businessKey_key" ON "Document"("businessKey");

-- CreateIndex
CREATE INDEX "Document_contentHash_idx" ON "Document"("contentHash");
