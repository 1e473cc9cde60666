-- AlterTable
ALTER TABLE "Approval" ADD COLUMN     "regulatorRefusal" TEXT;

-- AlterTable
ALTER TABLE "RegistryRecord" ADD COLUMN     "holderCreditCode" TEXT,
ADD COLUMN     "outcome" TEXT,
ADD COLUMN     "passRateBps" INTEGER;

-- CreateIndex
CREATE INDEX "RegistryRecord_holderCreditCode_idx" ON "RegistryRecord"("holderCreditCode");
