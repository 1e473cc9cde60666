-- AlterTable
ALTER TABLE "Verification" ADD COLUMN "batchRoot" TEXT;
ALTER TABLE "Verification" ADD COLUMN "leafIndex" INTEGER;
ALTER TABLE "Verification" ADD COLUMN "proof" TEXT;

-- CreateIndex
CREATE INDEX "Verification_batchRoot_idx" ON "Verification"("batchRoot");
