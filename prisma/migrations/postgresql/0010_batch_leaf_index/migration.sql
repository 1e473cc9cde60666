-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "leafIndex" INTEGER;
