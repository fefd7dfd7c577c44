-- CreateTable
CREATE TABLE `app_user` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `username` VARCHAR(191) NOT NULL,
    `first_name` VARCHAR(191) NOT NULL DEFAULT '',
    `last_name` VARCHAR(191) NOT NULL DEFAULT '',
    `token` VARCHAR(191) NOT NULL,

    UNIQUE INDEX `app_user_username_key`(`username`),
    UNIQUE INDEX `app_user_token_key`(`token`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_message` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `sender_id` INTEGER NOT NULL,
    `recipient_id` INTEGER NOT NULL,
    `user_low_id` INTEGER NOT NULL,
    `user_high_id` INTEGER NOT NULL,
    `content` MEDIUMTEXT NOT NULL,
    `sent_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `read_at` DATETIME(3) NULL,
    `deleted_by_sender` BOOLEAN NOT NULL DEFAULT false,
    `deleted_by_recipient` BOOLEAN NOT NULL DEFAULT false,
    `idempotency_key` VARCHAR(255) NULL,
    `edited_at` DATETIME(3) NULL,
    `unsent_at` DATETIME(3) NULL,
    `reply_to_id` BIGINT NULL,
    `reaction_count` INTEGER NOT NULL DEFAULT 0,

    UNIQUE INDEX `dm_message_idempotency_key`(`sender_id`, `idempotency_key`),
    INDEX `dm_message_conversation_idx`(`user_low_id`, `user_high_id`, `id` DESC),
    INDEX `dm_message_unread_idx`(`recipient_id`, `sender_id`, `read_at`),
    INDEX `dm_message_sender_idx`(`sender_id`, `id`),
    INDEX `dm_message_recipient_idx`(`recipient_id`, `id`),
    INDEX `dm_message_reply_idx`(`reply_to_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_message_edit` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `message_id` BIGINT NOT NULL,
    `content` MEDIUMTEXT NOT NULL,
    `edited_at` DATETIME(3) NOT NULL,

    INDEX `dm_message_edit_message_idx`(`message_id`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_reaction` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `message_id` BIGINT NOT NULL,
    `user_id` INTEGER NOT NULL,
    `emoji` VARCHAR(64) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `dm_reaction_once`(`message_id`, `user_id`, `emoji`),
    INDEX `dm_reaction_message_idx`(`message_id`, `id`),
    INDEX `dm_reaction_user_idx`(`user_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_conversation` (
    `owner_id` INTEGER NOT NULL,
    `partner_id` INTEGER NOT NULL,
    `last_message_id` BIGINT NULL,
    `unread_count` INTEGER NOT NULL DEFAULT 0,
    `muted` BOOLEAN NOT NULL DEFAULT false,
    `archived` BOOLEAN NOT NULL DEFAULT false,

    INDEX `dm_conversation_recent_idx`(`owner_id`, `last_message_id` DESC),
    INDEX `dm_conversation_list_idx`(`owner_id`, `archived`, `last_message_id` DESC),
    INDEX `dm_conversation_unread_idx`(`owner_id`, `unread_count`),
    INDEX `dm_conversation_partner_idx`(`partner_id`),
    INDEX `dm_conversation_last_message_idx`(`last_message_id`),
    PRIMARY KEY (`owner_id`, `partner_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_user` (
    `user_id` INTEGER NOT NULL,
    `last_seen_at` DATETIME(3) NULL,

    PRIMARY KEY (`user_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_change` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `user_id` INTEGER NOT NULL,
    `kind` INTEGER NOT NULL,
    `message_id` BIGINT NULL,
    `partner_id` INTEGER NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `dm_change_user_idx`(`user_id`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_block` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `blocker_id` INTEGER NOT NULL,
    `blocked_id` INTEGER NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `dm_block_pair`(`blocker_id`, `blocked_id`),
    INDEX `dm_block_recent_idx`(`blocker_id`, `id` DESC),
    INDEX `dm_block_blocked_idx`(`blocked_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `dm_presence` (
    `user_id` INTEGER NOT NULL,
    `instance_id` VARCHAR(64) NOT NULL,
    `seen_at` DATETIME(3) NOT NULL,

    INDEX `dm_presence_instance_idx`(`instance_id`),
    INDEX `dm_presence_seen_idx`(`seen_at`),
    PRIMARY KEY (`user_id`, `instance_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `dm_message` ADD CONSTRAINT `dm_message_sender_id_fkey` FOREIGN KEY (`sender_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_message` ADD CONSTRAINT `dm_message_recipient_id_fkey` FOREIGN KEY (`recipient_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_message` ADD CONSTRAINT `dm_message_reply_to_id_fkey` FOREIGN KEY (`reply_to_id`) REFERENCES `dm_message`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_message_edit` ADD CONSTRAINT `dm_message_edit_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `dm_message`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_reaction` ADD CONSTRAINT `dm_reaction_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `dm_message`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_reaction` ADD CONSTRAINT `dm_reaction_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_conversation` ADD CONSTRAINT `dm_conversation_owner_id_fkey` FOREIGN KEY (`owner_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_conversation` ADD CONSTRAINT `dm_conversation_partner_id_fkey` FOREIGN KEY (`partner_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_conversation` ADD CONSTRAINT `dm_conversation_last_message_id_fkey` FOREIGN KEY (`last_message_id`) REFERENCES `dm_message`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_user` ADD CONSTRAINT `dm_user_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_change` ADD CONSTRAINT `dm_change_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `dm_user`(`user_id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_block` ADD CONSTRAINT `dm_block_blocker_id_fkey` FOREIGN KEY (`blocker_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_block` ADD CONSTRAINT `dm_block_blocked_id_fkey` FOREIGN KEY (`blocked_id`) REFERENCES `app_user`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `dm_presence` ADD CONSTRAINT `dm_presence_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `dm_user`(`user_id`) ON DELETE CASCADE ON UPDATE CASCADE;


-- Guards added by `npx fastify-directmessages guards`: checks the database keeps whatever writes the rows (Prisma does not model them; MySQL refuses a CHECK on a column a foreign key's ON DELETE writes, so they are triggers).
CREATE TRIGGER `dm_message_not_to_self_insert` BEFORE INSERT ON `dm_message` FOR EACH ROW IF NOT (NEW.`sender_id` <> NEW.`recipient_id`) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_message_not_to_self'; END IF;
CREATE TRIGGER `dm_message_not_to_self_update` BEFORE UPDATE ON `dm_message` FOR EACH ROW IF NOT (NEW.`sender_id` <> NEW.`recipient_id`) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_message_not_to_self'; END IF;
CREATE TRIGGER `dm_message_pair_insert` BEFORE INSERT ON `dm_message` FOR EACH ROW IF NOT (NEW.`user_low_id` = LEAST(NEW.`sender_id`, NEW.`recipient_id`) AND NEW.`user_high_id` = GREATEST(NEW.`sender_id`, NEW.`recipient_id`)) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_message_pair'; END IF;
CREATE TRIGGER `dm_message_pair_update` BEFORE UPDATE ON `dm_message` FOR EACH ROW IF NOT (NEW.`user_low_id` = LEAST(NEW.`sender_id`, NEW.`recipient_id`) AND NEW.`user_high_id` = GREATEST(NEW.`sender_id`, NEW.`recipient_id`)) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_message_pair'; END IF;
CREATE TRIGGER `dm_conversation_not_with_self_insert` BEFORE INSERT ON `dm_conversation` FOR EACH ROW IF NOT (NEW.`owner_id` <> NEW.`partner_id`) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_conversation_not_with_self'; END IF;
CREATE TRIGGER `dm_conversation_not_with_self_update` BEFORE UPDATE ON `dm_conversation` FOR EACH ROW IF NOT (NEW.`owner_id` <> NEW.`partner_id`) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_conversation_not_with_self'; END IF;
CREATE TRIGGER `dm_conversation_unread_not_negative_insert` BEFORE INSERT ON `dm_conversation` FOR EACH ROW IF NOT (NEW.`unread_count` >= 0) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_conversation_unread_not_negative'; END IF;
CREATE TRIGGER `dm_conversation_unread_not_negative_update` BEFORE UPDATE ON `dm_conversation` FOR EACH ROW IF NOT (NEW.`unread_count` >= 0) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_conversation_unread_not_negative'; END IF;
CREATE TRIGGER `dm_block_not_self_insert` BEFORE INSERT ON `dm_block` FOR EACH ROW IF NOT (NEW.`blocker_id` <> NEW.`blocked_id`) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_block_not_self'; END IF;
CREATE TRIGGER `dm_block_not_self_update` BEFORE UPDATE ON `dm_block` FOR EACH ROW IF NOT (NEW.`blocker_id` <> NEW.`blocked_id`) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'dm_block_not_self'; END IF;
-- Keys and emojis compare by their bytes (the default collation holds different ones equal).
ALTER TABLE `dm_message` MODIFY `idempotency_key` VARCHAR(255) NULL COLLATE utf8mb4_bin;
ALTER TABLE `dm_reaction` MODIFY `emoji` VARCHAR(64) NOT NULL COLLATE utf8mb4_bin;
