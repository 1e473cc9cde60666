-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "subjectAddress" TEXT;
ALTER TABLE "ApiKey" ADD COLUMN "subjectCreditCode" TEXT;
ALTER TABLE "ApiKey" ADD COLUMN "subjectKind" TEXT;

-- AlterTable
ALTER TABLE "WhiteListEntry" ADD COLUMN "proof" TEXT;
ALTER TABLE "WhiteListEntry" ADD COLUMN "publishedAt" DATETIME;
ALTER TABLE "WhiteListEntry" ADD COLUMN "root" TEXT;
ALTER TABLE "WhiteListEntry" ADD COLUMN "signature" TEXT;
