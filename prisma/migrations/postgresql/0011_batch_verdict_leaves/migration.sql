-- AlterTable
ALTER TABLE "Verification" ADD COLUMN     "batchRoot" TEXT,
ADD COLUMN     "leafIndex" INTEGER,
ADD COLUMN     "proof" TEXT;

-- CreateIndex
CREATE INDEX "Verification_batchRoot_idx" ON "Verification"("batchRoot");
