-- CreateTable
CREATE TABLE "Product" (
    "id" SERIAL NOT NULL,
    "sku" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "priceCents" INTEGER NOT NULL,
    CONSTRAINT "Product_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Product_sku_key" ON "Product"("sku");

-- Seed a few products
INSERT INTO "Product" ("sku", "title", "priceCents") VALUES
  ('MUG-01', 'Mug', 1200), ('TEE-01', 'T-shirt', 2500), ('CAP-01', 'Cap', 1800);
