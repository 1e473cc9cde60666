-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "subjectAddress" TEXT,
ADD COLUMN     "subjectCreditCode" TEXT,
ADD COLUMN     "subjectKind" TEXT;

-- AlterTable
ALTER TABLE "WhiteListEntry" ADD COLUMN     "proof" TEXT,
ADD COLUMN     "publishedAt" TIMESTAMP(3),
ADD COLUMN     "root" TEXT,
ADD COLUMN     "signature" TEXT;
