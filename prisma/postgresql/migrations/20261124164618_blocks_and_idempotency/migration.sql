-- AlterTable
ALTER TABLE "dm_message" ADD COLUMN     "idempotency_key" TEXT;

-- CreateTable
CREATE TABLE "dm_block" (
    "id" BIGSERIAL NOT NULL,
    "blocker_id" INTEGER NOT NULL,
    "blocked_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dm_block_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dm_block_recent_idx" ON "dm_block"("blocker_id", "id" DESC);

-- CreateIndex
CREATE INDEX "dm_block_blocked_idx" ON "dm_block"("blocked_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_block_pair" ON "dm_block"("blocker_id", "blocked_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_message_idempotency_key" ON "dm_message"("sender_id", "idempotency_key");

-- AddForeignKey
ALTER TABLE "dm_block" ADD CONSTRAINT "dm_block_blocker_id_fkey" FOREIGN KEY ("blocker_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dm_block" ADD CONSTRAINT "dm_block_blocked_id_fkey" FOREIGN KEY ("blocked_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- A user cannot block themselves (Prisma does not model CHECK constraints).
ALTER TABLE "dm_block" ADD CONSTRAINT "dm_block_not_self" CHECK ("blocker_id" <> "blocked_id");
