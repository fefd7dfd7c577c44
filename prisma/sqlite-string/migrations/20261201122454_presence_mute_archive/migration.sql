-- AlterTable
ALTER TABLE "dm_user" ADD COLUMN "last_seen_at" DATETIME;

-- CreateTable
CREATE TABLE "dm_presence" (
    "user_id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "seen_at" DATETIME NOT NULL,

    PRIMARY KEY ("user_id", "instance_id"),
    CONSTRAINT "dm_presence_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "dm_user" ("user_id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_dm_conversation" (
    "owner_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "last_message_id" INTEGER,
    "unread_count" INTEGER NOT NULL DEFAULT 0,
    "muted" BOOLEAN NOT NULL DEFAULT false,
    "archived" BOOLEAN NOT NULL DEFAULT false,

    PRIMARY KEY ("owner_id", "partner_id"),
    -- Guards added by `npx fastify-directmessages guards` (Prisma does not model CHECK constraints).
    CONSTRAINT "dm_conversation_not_with_self" CHECK ("owner_id" <> "partner_id"),
    CONSTRAINT "dm_conversation_unread_not_negative" CHECK ("unread_count" >= 0),
    CONSTRAINT "dm_conversation_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_conversation_partner_id_fkey" FOREIGN KEY ("partner_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_conversation_last_message_id_fkey" FOREIGN KEY ("last_message_id") REFERENCES "dm_message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_dm_conversation" ("last_message_id", "owner_id", "partner_id", "unread_count") SELECT "last_message_id", "owner_id", "partner_id", "unread_count" FROM "dm_conversation";
DROP TABLE "dm_conversation";
ALTER TABLE "new_dm_conversation" RENAME TO "dm_conversation";
CREATE INDEX "dm_conversation_recent_idx" ON "dm_conversation"("owner_id", "last_message_id" DESC);
CREATE INDEX "dm_conversation_list_idx" ON "dm_conversation"("owner_id", "archived", "last_message_id" DESC);
CREATE INDEX "dm_conversation_unread_idx" ON "dm_conversation"("owner_id", "unread_count");
CREATE INDEX "dm_conversation_partner_idx" ON "dm_conversation"("partner_id");
CREATE INDEX "dm_conversation_last_message_idx" ON "dm_conversation"("last_message_id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "dm_presence_instance_idx" ON "dm_presence"("instance_id");

