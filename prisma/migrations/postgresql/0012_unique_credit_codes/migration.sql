-- CreateTable
CREATE TABLE "Borrower" (
    "creditCode" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Borrower_pkey" PRIMARY KEY ("creditCode")
);

-- CreateIndex
CREATE UNIQUE INDEX "Borrower_address_key" ON "Borrower"("address");

-- CreateIndex
CREATE UNIQUE INDEX "Payee_creditCode_key" ON "Payee"("creditCode");

-- Backfill: each credit code's first borrower account, from the facilities so far (a later conflicting one is skipped).
INSERT INTO "Borrower" ("creditCode", "address", "name")
SELECT "creditCode", "borrower", "borrowerName" FROM "Facility" ORDER BY "appliedAt"
ON CONFLICT DO NOTHING;
