-- CreateTable
CREATE TABLE "app_user" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "first_name" TEXT NOT NULL DEFAULT '',
    "last_name" TEXT NOT NULL DEFAULT '',
    "token" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "dm_message" (
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
    -- Guards the model layer keeps whatever writes the rows (Prisma does not model CHECK constraints).
    CONSTRAINT "dm_message_not_to_self" CHECK ("sender_id" <> "recipient_id"),
    CONSTRAINT "dm_message_pair" CHECK ("user_low_id" = MIN("sender_id", "recipient_id") AND "user_high_id" = MAX("sender_id", "recipient_id")),
    CONSTRAINT "dm_message_sender_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_message_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "dm_conversation" (
    "owner_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "last_message_id" INTEGER,
    "unread_count" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("owner_id", "partner_id"),
    CONSTRAINT "dm_conversation_not_with_self" CHECK ("owner_id" <> "partner_id"),
    CONSTRAINT "dm_conversation_unread_not_negative" CHECK ("unread_count" >= 0),
    CONSTRAINT "dm_conversation_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_conversation_partner_id_fkey" FOREIGN KEY ("partner_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_conversation_last_message_id_fkey" FOREIGN KEY ("last_message_id") REFERENCES "dm_message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "dm_user" (
    "user_id" TEXT NOT NULL PRIMARY KEY,
    CONSTRAINT "dm_user_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "dm_block" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "blocker_id" TEXT NOT NULL,
    "blocked_id" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dm_block_not_self" CHECK ("blocker_id" <> "blocked_id"),
    CONSTRAINT "dm_block_blocker_id_fkey" FOREIGN KEY ("blocker_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dm_block_blocked_id_fkey" FOREIGN KEY ("blocked_id") REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "app_user_username_key" ON "app_user"("username");

-- CreateIndex
CREATE UNIQUE INDEX "app_user_token_key" ON "app_user"("token");

-- CreateIndex
CREATE INDEX "dm_message_conversation_idx" ON "dm_message"("user_low_id", "user_high_id", "id" DESC);

-- CreateIndex
CREATE INDEX "dm_message_unread_idx" ON "dm_message"("recipient_id", "sender_id", "read_at");

-- CreateIndex
CREATE INDEX "dm_message_sender_idx" ON "dm_message"("sender_id", "id");

-- CreateIndex
CREATE INDEX "dm_message_recipient_idx" ON "dm_message"("recipient_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_message_idempotency_key" ON "dm_message"("sender_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "dm_conversation_recent_idx" ON "dm_conversation"("owner_id", "last_message_id" DESC);

-- CreateIndex
CREATE INDEX "dm_conversation_unread_idx" ON "dm_conversation"("owner_id", "unread_count");

-- CreateIndex
CREATE INDEX "dm_conversation_partner_idx" ON "dm_conversation"("partner_id");

-- CreateIndex
CREATE INDEX "dm_conversation_last_message_idx" ON "dm_conversation"("last_message_id");

-- CreateIndex
CREATE INDEX "dm_block_recent_idx" ON "dm_block"("blocker_id", "id" DESC);

-- CreateIndex
CREATE INDEX "dm_block_blocked_idx" ON "dm_block"("blocked_id");

-- CreateIndex
CREATE UNIQUE INDEX "dm_block_pair" ON "dm_block"("blocker_id", "blocked_id");

