-- CreateIndex
CREATE INDEX "dm_presence_seen_idx" ON "dm_presence"("seen_at");

