-- AlterTable
ALTER TABLE "Document" ADD COLUMN "contentKey" TEXT;

-- The newest document of each content holds it (an older copy was admitted only once the newer was rejected, and a
-- rejected holder is released by the next upload of the bytes).
UPDATE "Document" SET "contentKey" = "contentHash"
WHERE NOT EXISTS (
  SELECT 1 FROM "Document" AS "newer"
  WHERE "newer"."contentHash" = "Document"."contentHash"
    AND ("newer"."createdAt" > "Document"."createdAt"
      OR ("newer"."createdAt" = "Document"."createdAt" AND "newer"."id" > "Document"."id"))
);

-- CreateIndex
CREATE UNIQUE INDEX "Document_contentKey_key" ON "Document"("contentKey");
