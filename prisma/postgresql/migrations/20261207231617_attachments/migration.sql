-- AlterTable
ALTER TABLE "dm_message" ADD COLUMN     "attachment_count" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "dm_attachment" (
    "id" TEXT NOT NULL,
    "uploader_id" INTEGER NOT NULL,
    "message_id" BIGINT,
    "position" INTEGER NOT NULL DEFAULT 0,
    "name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "width" INTEGER,
    "height" INTEGER,
    "thumbnail" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked_at" TIMESTAMP(3),
    "attached_at" TIMESTAMP(3),

    CONSTRAINT "dm_attachment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dm_attachment_message_idx" ON "dm_attachment"("message_id", "position");

-- AddForeignKey
ALTER TABLE "dm_attachment" ADD CONSTRAINT "dm_attachment_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "dm_message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

