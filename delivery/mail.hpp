#pragma once
// Report e-mails. A message is built from the report (pure), then either sent over SMTP with libcurl
// (STARTTLS required by default, or SMTPS; AUTH with a password read from a file) with the results
// file attached, or — with no SMTP server configured — written to DATA_DIR/outbox/ as an RFC 5322 file
// for a local mail system to pick up.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/utc_time.hpp"
#include "delivery/attempt.hpp"

namespace intake::delivery {

struct MailSettings {
  std::string smtp_url;                 // smtp://host:587 or smtps://host:465; empty: the pickup folder
  bool require_tls = true;              // smtp://: refuse to send unless the server takes STARTTLS
  std::string username;                 // AUTH; empty: none
  std::filesystem::path password_file;  // AUTH's password, read at each attempt (never logged)
  std::filesystem::path ca_file;        // trusted CAs for the server's certificate; empty: the system's
  std::string from;                     // the From header: "Intake <intake@sftp.example.com>"
  std::string envelope_from;            // MAIL FROM; empty: the address in `from`
  std::string message_id_domain;        // the right side of Message-IDs
  std::chrono::seconds timeout = std::chrono::seconds(60);
  std::filesystem::path pickup_dir;  // DATA_DIR/outbox
};

struct Attachment {
  std::string name;            // as the recipient sees it
  std::filesystem::path path;  // read when the message is sent
  std::string content_type = "text/csv; charset=utf-8";
};

struct MailMessage {
  std::string from, envelope_from;
  std::vector<std::string> to;
  std::string subject, date, message_id;  // date: RFC 5322; message_id: "<…@…>"
  std::string text;                       // the body, UTF-8 with \n line ends
  std::vector<Attachment> attachments;
};

// "Mon, 23 Nov 2026 09:00:00 +0000".
std::string rfc5322_date(base::WallTime time);
// The address inside "Name <address>" (or the text itself).
std::string address_of(const std::string& mailbox);

// The message for one report delivery: To the delivery's addresses, the report as text, its results
// file attached. The Message-ID is the ingest's and the status's (stable across retries, so that a
// receiver can drop a repeat; a held report and its later conclusion are two messages).
MailMessage report_message(const MailSettings& settings, const DeliveryJob& job,
                           const std::filesystem::path& data_dir, base::WallTime now);

// The message for a daily digest delivery (its payload is the digest's JSON): Message-ID
// "<digest.TENANT.UNTIL@…>", stable across retries.
MailMessage digest_message(const MailSettings& settings, const DeliveryJob& job, base::WallTime now);

// The message as RFC 5322 text (CRLF line ends; multipart/mixed with base64 attachments when it has
// any). What the pickup folder receives.
tl::expected<std::string, std::string> render_message(const MailMessage& message);

// Sends over SMTP, or writes to the pickup folder when no server is configured. 4xx answers and
// connection failures are worth retrying; 5xx answers are not.
AttemptResult send_mail(const MailSettings& settings, const MailMessage& message);

}  // namespace intake::delivery
