-- AlterTable
ALTER TABLE "dm_message" ADD COLUMN     "edited_at" TIMESTAMP(3),
ADD COLUMN     "unsent_at" TIMESTAMP(3),
ADD COLUMN     "reply_to_id" BIGINT,
ADD COLUMN     "reaction_count" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "dm_message_edit" (
    "id" BIGSERIAL NOT NULL,
    "message_id" BIGINT NOT NULL,
    "content" TEXT NOT NULL,
    "edited_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "dm_message_edit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dm_reaction" (
    "id" BIGSERIAL NOT NULL,
    "message_id" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL,
    "emoji" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dm_reaction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dm_message_edit_message_idx" ON "dm_message_edit"("message_id", "id");

-- CreateIndex
CREATE INDEX "dm_reaction_message_idx" ON "dm_reaction"("message_id", "id");

-- CreateIndex
CREATE INDEX "dm_reaction_user_idx" ON "dm_reaction"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_reaction_once" ON "dm_reaction"("message_id", "user_id", "emoji");

-- CreateIndex
CREATE INDEX "dm_message_reply_idx" ON "dm_message"("reply_to_id");

-- AddForeignKey
ALTER TABLE "dm_message" ADD CONSTRAINT "dm_message_reply_to_id_fkey" FOREIGN KEY ("reply_to_id") REFERENCES "dm_message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dm_message_edit" ADD CONSTRAINT "dm_message_edit_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "dm_message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dm_reaction" ADD CONSTRAINT "dm_reaction_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "dm_message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dm_reaction" ADD CONSTRAINT "dm_reaction_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

