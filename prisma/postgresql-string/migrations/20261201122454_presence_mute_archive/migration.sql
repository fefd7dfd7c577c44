-- AlterTable
ALTER TABLE "dm_conversation" ADD COLUMN     "muted" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "archived" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "dm_user" ADD COLUMN     "last_seen_at" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "dm_presence" (
    "user_id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "seen_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "dm_presence_pkey" PRIMARY KEY ("user_id","instance_id")
);

-- CreateIndex
CREATE INDEX "dm_presence_instance_idx" ON "dm_presence"("instance_id");

-- CreateIndex
CREATE INDEX "dm_conversation_list_idx" ON "dm_conversation"("owner_id", "archived", "last_message_id" DESC);

-- AddForeignKey
ALTER TABLE "dm_presence" ADD CONSTRAINT "dm_presence_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "dm_user"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

