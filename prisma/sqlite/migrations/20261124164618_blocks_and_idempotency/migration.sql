-- AlterTable
ALTER TABLE "dm_message" ADD COLUMN "idempotency_key" TEXT;

-- CreateTable
CREATE TABLE "dm_block" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "blocker_id" INTEGER NOT NULL,
    "blocked_id" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- A user cannot block themselves (Prisma does not model CHECK constraints).
    CONSTRAINT "dm_block_not_self" CHECK ("blocker_id" <> "blocked_id"),
    CONSTRAINT "dm_block_blocker_id_fkey" FOREIGN KEY ("blocker_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_block_blocked_id_fkey" FOREIGN KEY ("blocked_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "dm_block_recent_idx" ON "dm_block"("blocker_id", "id" DESC);

-- CreateIndex
CREATE INDEX "dm_block_blocked_idx" ON "dm_block"("blocked_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_block_pair" ON "dm_block"("blocker_id", "blocked_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_message_idempotency_key" ON "dm_message"("sender_id", "idempotency_key");

