-- CreateTable
CREATE TABLE "dm_message_edit" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "message_id" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "edited_at" DATETIME NOT NULL,
    CONSTRAINT "dm_message_edit_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "dm_message" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "dm_reaction" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "message_id" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "emoji" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dm_reaction_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "dm_message" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_reaction_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_dm_message" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "sender_id" TEXT NOT NULL,
    "recipient_id" TEXT NOT NULL,
    "user_low_id" TEXT NOT NULL,
    "user_high_id" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "sent_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" DATETIME,
    "deleted_by_sender" BOOLEAN NOT NULL DEFAULT false,
    "deleted_by_recipient" BOOLEAN NOT NULL DEFAULT false,
    "idempotency_key" TEXT,
    "edited_at" DATETIME,
    "unsent_at" DATETIME,
    "reply_to_id" INTEGER,
    "reaction_count" INTEGER NOT NULL DEFAULT 0,
    -- Guards added by `npx fastify-directmessages guards` (Prisma does not model CHECK constraints).
    CONSTRAINT "dm_message_not_to_self" CHECK ("sender_id" <> "recipient_id"),
    CONSTRAINT "dm_message_pair" CHECK ("user_low_id" = MIN("sender_id", "recipient_id") AND "user_high_id" = MAX("sender_id", "recipient_id")),
    CONSTRAINT "dm_message_sender_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_message_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_message_reply_to_id_fkey" FOREIGN KEY ("reply_to_id") REFERENCES "dm_message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_dm_message" ("content", "deleted_by_recipient", "deleted_by_sender", "id", "idempotency_key", "read_at", "recipient_id", "sender_id", "sent_at", "user_high_id", "user_low_id") SELECT "content", "deleted_by_recipient", "deleted_by_sender", "id", "idempotency_key", "read_at", "recipient_id", "sender_id", "sent_at", "user_high_id", "user_low_id" FROM "dm_message";
DROP TABLE "dm_message";
ALTER TABLE "new_dm_message" RENAME TO "dm_message";
CREATE INDEX "dm_message_conversation_idx" ON "dm_message"("user_low_id", "user_high_id", "id" DESC);
CREATE INDEX "dm_message_unread_idx" ON "dm_message"("recipient_id", "sender_id", "read_at");
CREATE INDEX "dm_message_sender_idx" ON "dm_message"("sender_id", "id");
CREATE INDEX "dm_message_recipient_idx" ON "dm_message"("recipient_id", "id");
CREATE INDEX "dm_message_reply_idx" ON "dm_message"("reply_to_id");
CREATE UNIQUE INDEX "dm_message_idempotency_key" ON "dm_message"("sender_id", "idempotency_key");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "dm_message_edit_message_idx" ON "dm_message_edit"("message_id", "id");

-- CreateIndex
CREATE INDEX "dm_reaction_message_idx" ON "dm_reaction"("message_id", "id");

-- CreateIndex
CREATE INDEX "dm_reaction_user_idx" ON "dm_reaction"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_reaction_once" ON "dm_reaction"("message_id", "user_id", "emoji");

