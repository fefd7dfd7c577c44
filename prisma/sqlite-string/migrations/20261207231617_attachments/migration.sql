-- CreateTable
CREATE TABLE "dm_attachment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "uploader_id" TEXT NOT NULL,
    "message_id" INTEGER,
    "position" INTEGER NOT NULL DEFAULT 0,
    "name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "width" INTEGER,
    "height" INTEGER,
    "thumbnail" BOOLEAN NOT NULL DEFAULT false,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked_at" DATETIME,
    "attached_at" DATETIME,
    CONSTRAINT "dm_attachment_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "dm_message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- AlterTable (a column with a default: added in place, keeping the table's CHECK constraints)
ALTER TABLE "dm_message" ADD COLUMN "attachment_count" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "dm_attachment_message_idx" ON "dm_attachment"("message_id", "position");

