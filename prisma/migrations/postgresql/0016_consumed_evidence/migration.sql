-- CreateTable
CREATE TABLE "ConsumedEvidence" (
    "evidenceId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "facilityId" BIGINT NOT NULL,
    "paymentIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,

    CONSTRAINT "ConsumedEvidence_pkey" PRIMARY KEY ("evidenceId","eventId")
);

-- CreateIndex
CREATE INDEX "ConsumedEvidence_blockNumber_idx" ON "ConsumedEvidence"("blockNumber");

-- The evidence ids of the PaymentExecuted events indexed so far (an array, or the one-element object {"_": id} an
-- earlier version stored).
INSERT INTO "ConsumedEvidence" ("evidenceId", "eventId", "facilityId", "paymentIndex", "txHash", "blockNumber")
SELECT lower("ids"."value"), "e"."id", ("e"."args"::jsonb ->> 'facilityId')::BIGINT,
  ("e"."args"::jsonb ->> 'index')::INTEGER, "e"."txHash", "e"."blockNumber"
FROM "ChainEvent" AS "e"
CROSS JOIN LATERAL (
  SELECT "value" FROM jsonb_array_elements_text(CASE jsonb_typeof("e"."args"::jsonb -> 'evidenceIds')
    WHEN 'array' THEN "e"."args"::jsonb -> 'evidenceIds' ELSE '[]'::jsonb END)
  UNION ALL
  SELECT "value" FROM jsonb_each_text(CASE jsonb_typeof("e"."args"::jsonb -> 'evidenceIds')
    WHEN 'object' THEN "e"."args"::jsonb -> 'evidenceIds' ELSE '{}'::jsonb END)
) AS "ids"
WHERE "e"."name" = 'PaymentExecuted'
ON CONFLICT DO NOTHING;
