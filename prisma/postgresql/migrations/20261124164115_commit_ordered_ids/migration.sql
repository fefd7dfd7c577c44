-- CreateTable
CREATE TABLE "dm_user" (
    "user_id" INTEGER NOT NULL,

    CONSTRAINT "dm_user_pkey" PRIMARY KEY ("user_id")
);

-- AddForeignKey
ALTER TABLE "dm_user" ADD CONSTRAINT "dm_user_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

