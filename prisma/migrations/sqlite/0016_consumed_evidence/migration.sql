-- CreateTable
CREATE TABLE "ConsumedEvidence" (
    "evidenceId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "facilityId" BIGINT NOT NULL,
    "paymentIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,

    PRIMARY KEY ("evidenceId", "eventId")
);

-- CreateIndex
CREATE INDEX "ConsumedEvidence_blockNumber_idx" ON "ConsumedEvidence"("blockNumber");

-- The evidence ids of the PaymentExecuted events indexed so far (json_each walks an array, and the one-element
-- object {"_": id} an earlier version stored, alike).
INSERT OR IGNORE INTO "ConsumedEvidence" ("evidenceId", "eventId", "facilityId", "paymentIndex", "txHash", "blockNumber")
SELECT lower("ids"."value"), "e"."id", CAST(json_extract("e"."args", '$.facilityId') AS INTEGER),
  CAST(json_extract("e"."args", '$.index') AS INTEGER), "e"."txHash", "e"."blockNumber"
FROM "ChainEvent" AS "e", json_each("e"."args", '$.evidenceIds') AS "ids"
WHERE "e"."name" = 'PaymentExecuted';
