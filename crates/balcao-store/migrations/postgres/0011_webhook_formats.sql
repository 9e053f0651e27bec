-- A subscription's delivery format: Balcão's own body, or a vendor face's (`digisac`).
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'balcao';
