-- Meta's id of a WhatsApp template once it was sent for review or found by a sync.
ALTER TABLE whatsapp_templates ADD COLUMN external_id TEXT;
