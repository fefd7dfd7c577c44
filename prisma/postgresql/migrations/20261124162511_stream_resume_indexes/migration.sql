-- DropIndex
DROP INDEX "dm_message_sender_idx";

-- CreateIndex
CREATE INDEX "dm_message_sender_idx" ON "dm_message"("sender_id", "id");

-- CreateIndex
CREATE INDEX "dm_message_recipient_idx" ON "dm_message"("recipient_id", "id");

