-- CreateTable
CREATE TABLE "dm_change" (
    "id" BIGSERIAL NOT NULL,
    "user_id" TEXT NOT NULL,
    "kind" INTEGER NOT NULL,
    "message_id" BIGINT,
    "partner_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dm_change_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dm_change_user_idx" ON "dm_change"("user_id", "id");

-- AddForeignKey
ALTER TABLE "dm_change" ADD CONSTRAINT "dm_change_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "dm_user"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

