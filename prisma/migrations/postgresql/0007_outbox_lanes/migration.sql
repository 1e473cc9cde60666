-- AlterTable
ALTER TABLE "OutboxJob" ADD COLUMN     "lane" TEXT NOT NULL DEFAULT 'MAIN',
ADD COLUMN     "sender" TEXT;

-- CreateIndex
CREATE INDEX "OutboxJob_lane_status_id_idx" ON "OutboxJob"("lane", "status", "id");
