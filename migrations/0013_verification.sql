-- Verification: the system's e-mail templates (read-only; the reference's two sample templates
-- keep their secure IDs), and the verification e-mails sent with them.
CREATE TABLE email_templates (
    id              bigserial   NOT NULL UNIQUE,
    template_sid    uuid        PRIMARY KEY,
    type            text        NOT NULL UNIQUE,
    name            text        NOT NULL,
    subject         text        NOT NULL,
    from_address    text,
    to_addresses    text,
    cc_addresses    text,
    bcc_addresses   text,
    text_body       text        NOT NULL,
    html_body       text
);

INSERT INTO email_templates (template_sid, type, name, subject, from_address, text_body, html_body) VALUES
('3e9e8c56-e1ee-4dcf-9e2b-abbd101139ba', 'email_address_verification', 'Email Verification template',
 'CarrierX Email Verification', 'noreply@carrierx.com',
 E'Hello!\n \nPlease confirm your email address by pasting this link into your browser:\n${base_url}?token=${uuid}\n \nIf you did not ask for this, ignore this message.\n',
 E'<p>Hello!</p>\n<p>Please confirm your email address by following this link:<br>\n<a href="${base_url}?token=${uuid}">${base_url}?token=${uuid}</a></p>\n<p>If you did not ask for this, ignore this message.</p>\n'),
('465eb46b-05a7-4251-b89c-e99f2b81509b', 'forgot_partner_password', 'Forgot Partner Password template',
 'CarrierX Password Reset', 'noreply@carrierx.com',
 E'Hello!\n \nTo choose a new password, paste this link into your browser:\n${base_url}?token=${uuid}\n',
 E'<p>Hello!</p>\n<p>To choose a new password, follow this link:<br>\n<a href="${base_url}?token=${uuid}">${base_url}?token=${uuid}</a></p>\n'),
('9d6c1f0e-7b1a-4c57-9a51-1f0c9a0e2b01', 'email_partner_review', 'Partner Review template',
 'CarrierX Partner Review', 'noreply@carrierx.com',
 E'A partner account is waiting for review.\n', NULL),
('9d6c1f0e-7b1a-4c57-9a51-1f0c9a0e2b02', 'invoice', 'Invoice template',
 'Your CarrierX invoice', 'noreply@carrierx.com',
 E'Your invoice is attached.\n', NULL),
('9d6c1f0e-7b1a-4c57-9a51-1f0c9a0e2b03', 'low_balance_partner_notification', 'Low Balance Notification template',
 'Your CarrierX balance is low', 'noreply@carrierx.com',
 E'The balance of your account is low.\n', NULL),
('9d6c1f0e-7b1a-4c57-9a51-1f0c9a0e2b04', 'new_partner_welcome', 'New Partner Welcome template',
 'Welcome to CarrierX', 'noreply@carrierx.com',
 E'Welcome to CarrierX!\n', NULL),
('9d6c1f0e-7b1a-4c57-9a51-1f0c9a0e2b05', 'suspended_partner_notification', 'Suspended Partner Notification template',
 'Your CarrierX account is suspended', 'noreply@carrierx.com',
 E'Your account has been suspended.\n', NULL);

CREATE TABLE verification_emails (
    id                  bigserial   PRIMARY KEY,
    -- SHA-256 of the token the link carries (the token itself is only in the mail).
    token_hash          bytea       NOT NULL UNIQUE,
    owner_sid           uuid        NOT NULL REFERENCES partners (partner_sid),
    partner_sid         uuid        REFERENCES partners (partner_sid),
    to_address          text        NOT NULL,
    base_url            text        NOT NULL,
    email_template_sid  uuid        NOT NULL REFERENCES email_templates (template_sid),
    status              text        NOT NULL CHECK (status IN ('created', 'sent_email', 'verified')),
    date_created        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_verified       timestamptz
);
