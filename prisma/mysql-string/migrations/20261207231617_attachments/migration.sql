-- AlterTable
ALTER TABLE `dm_message` ADD COLUMN `attachment_count` INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE `dm_attachment` (
    `id` VARCHAR(32) NOT NULL,
    `uploader_id` VARCHAR(191) NOT NULL,
    `message_id` BIGINT NULL,
    `position` INTEGER NOT NULL DEFAULT 0,
    `name` VARCHAR(255) NOT NULL,
    `content_type` VARCHAR(255) NOT NULL,
    `size` INTEGER NOT NULL,
    `width` INTEGER NULL,
    `height` INTEGER NULL,
    `thumbnail` BOOLEAN NOT NULL DEFAULT false,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `checked_at` DATETIME(3) NULL,
    `attached_at` DATETIME(3) NULL,

    INDEX `dm_attachment_message_idx`(`message_id`, `position`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `dm_attachment` ADD CONSTRAINT `dm_attachment_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `dm_message`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;
