-- CreateTable
CREATE TABLE "dm_change" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_id" TEXT NOT NULL,
    "kind" INTEGER NOT NULL,
    "message_id" INTEGER,
    "partner_id" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dm_change_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "dm_user" ("user_id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "dm_change_user_idx" ON "dm_change"("user_id", "id");

