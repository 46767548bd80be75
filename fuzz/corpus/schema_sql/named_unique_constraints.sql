CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  sku VARCHAR(32) NOT NULL CONSTRAINT uq_sku UNIQUE,
  vendor INTEGER NOT NULL,
  vendor_code VARCHAR(32) NOT NULL,
  CONSTRAINT uq_vendor_code UNIQUE (vendor, vendor_code)
);
