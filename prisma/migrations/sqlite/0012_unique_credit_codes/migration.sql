-- CreateTable
CREATE TABLE "Borrower" (
    "creditCode" TEXT NOT NULL PRIMARY KEY,
    "address" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Borrower_address_key" ON "Borrower"("address");

-- CreateIndex
CREATE UNIQUE INDEX "Payee_creditCode_key" ON "Payee"("creditCode");

-- Backfill: each credit code's first borrower account, from the facilities so far (a later conflicting one is skipped).
INSERT OR IGNORE INTO "Borrower" ("creditCode", "address", "name")
SELECT "creditCode", "borrower", "borrowerName" FROM "Facility" ORDER BY "appliedAt";
