#include "delivery/mail.hpp"

#include <curl/curl.h>

#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/base64.hpp"
#include "base/durable_file.hpp"
#include "base/secret.hpp"
#include "base/text.hpp"
#include "delivery/curl_setup.hpp"
#include "delivery/digest.hpp"
#include "ingest/report.hpp"
#include "ingest/results.hpp"

namespace intake::delivery {

namespace fs = std::filesystem;

namespace {

bool is_ascii(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// RFC 2047: a header value with non-ASCII text (a customer's file name) as one UTF-8 encoded word.
std::string header_text(const std::string& text) {
  return is_ascii(text) ? text : "=?UTF-8?B?" + base::base64_encode(text) + "?=";
}

std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::vector<std::string> header_lines(const MailMessage& message) {
  std::string to;
  for (const auto& address : message.to) to += (to.empty() ? "" : ", ") + address;
  return {"From: " + message.from,
          "To: " + to,
          "Subject: " + header_text(message.subject),
          "Date: " + message.date,
          "Message-ID: " + message.message_id,
          "Auto-Submitted: auto-generated"};
}

tl::expected<std::string, std::string> read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The server's reply lines, for the outcome; what the client sends (its AUTH line among it) is never
// kept.
int keep_server_replies(CURL*, curl_infotype type, char* data, std::size_t size, void* replies) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty()) static_cast<std::vector<std::string>*>(replies)->push_back(std::move(line));
  return 0;
}

// The reply that settled the attempt: the last refusal (4xx, 5xx) when it failed, else the answer to
// the message ("250 2.0.0 queued as …"), not the goodbye after it.
std::string deciding_reply(const std::vector<std::string>& replies, bool failed) {
  for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
    if (failed ? (it->starts_with('4') || it->starts_with('5')) : !it->starts_with("221")) return *it;
  }
  return "";
}

// From, envelope sender, To (the delivery's addresses) and Date, for any of the messages.
MailMessage addressed(const MailSettings& settings, const DeliveryJob& job, base::WallTime now) {
  MailMessage message;
  message.from = settings.from;
  message.envelope_from = settings.envelope_from.empty() ? settings.from : settings.envelope_from;
  for (auto address : base::split(job.delivery.target, ',')) {
    address = base::trim(address);
    if (!address.empty()) message.to.emplace_back(address);
  }
  message.date = rfc5322_date(now);
  return message;
}

AttemptResult write_to_pickup(const MailSettings& settings, const MailMessage& message) {
  auto text = render_message(message);
  if (!text) return {Verdict::Retry, text.error(), {}};
  std::error_code ec;
  fs::create_directories(settings.pickup_dir, ec);
  // Named by the Message-ID: a repeated delivery replaces the same file.
  std::string name = message.message_id.substr(1, message.message_id.find('@') - 1) + ".eml";
  const auto written = base::write_file_atomically(settings.pickup_dir / name, *text, base::Existing::Replace,
                                                   base::Sync::Yes, 0640);
  if (!written) return {Verdict::Retry, written.error().message, {}};
  return {Verdict::Delivered, "written to outbox/" + name + " (no SMTP server is configured)", {}};
}

AttemptResult send_smtp(const MailSettings& settings, const MailMessage& message) {
  auto curl = new_curl(settings.timeout, settings.ca_file);
  if (!curl) return {Verdict::Retry, "cannot start libcurl", {}};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, settings.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_USE_SSL, settings.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  base::SecretString password;
  if (!settings.username.empty()) {
    auto read = read_whole(settings.password_file);
    if (!read)
      return {Verdict::Retry,
              "the SMTP password file cannot be read: " + read.error() + "; check smtp_password_file",
              {}};
    while (!read->empty() && (read->back() == '\n' || read->back() == '\r')) read->pop_back();
    password = base::SecretString(*read);
    curl_easy_setopt(c, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.view().data());  // NUL-terminated: a std::string's
  }
  const std::string envelope = "<" + address_of(message.envelope_from) + ">";
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, envelope.c_str());
  CurlList recipients;
  for (const auto& to : message.to) recipients.append("<" + address_of(to) + ">");
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  CurlList headers;
  for (const auto& line : header_lines(message)) headers.append(line);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  std::unique_ptr<curl_mime, CurlDeleter> mime(curl_mime_init(c));
  const std::string body = crlf(message.text);
  curl_mimepart* text_part = curl_mime_addpart(mime.get());
  curl_mime_data(text_part, body.data(), body.size());
  curl_mime_type(text_part, "text/plain; charset=utf-8");
  curl_mime_encoder(text_part, "quoted-printable");
  for (const auto& attachment : message.attachments) {
    curl_mimepart* part = curl_mime_addpart(mime.get());
    if (curl_mime_filedata(part, attachment.path.c_str()) != CURLE_OK)
      return {Verdict::Retry, "cannot attach " + attachment.path.string(), {}};
    curl_mime_filename(part, attachment.name.c_str());
    curl_mime_type(part, attachment.content_type.c_str());
    curl_mime_encoder(part, "base64");
  }
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());

  std::vector<std::string> replies;
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, keep_server_replies);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);

  const CURLcode result = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const auto last_reply = deciding_reply(replies, result != CURLE_OK);
  if (result == CURLE_OK) return {Verdict::Delivered, last_reply.empty() ? "sent" : last_reply, {}};
  std::string outcome = error[0] ? error : curl_easy_strerror(result);
  if (result == CURLE_USE_SSL_FAILED)
    outcome +=
        " (the SMTP server does not offer STARTTLS; set smtp_require_tls = false only for a relay "
        "on this machine)";
  if (!last_reply.empty()) outcome = last_reply + " (" + outcome + ")";
  // A 5xx answer is the server's final word (no such mailbox, message refused): retrying cannot help.
  if (code >= 500 && code < 600) return {Verdict::GiveUp, outcome, {}};
  return {Verdict::Retry, outcome, {}};
}

}  // namespace

std::string rfc5322_date(base::WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char out[64];
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return out;
}

std::string address_of(const std::string& mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
}

MailMessage report_message(const MailSettings& settings, const DeliveryJob& job, const fs::path& data_dir,
                           base::WallTime now) {
  auto message = addressed(settings, job, now);
  message.subject = ingest::report_email_subject(job.report);
  const auto status = job.delivery.ingest_status ? store::ingest_status_name(*job.delivery.ingest_status)
                                                 : std::string_view("report");
  message.message_id =
      "<" + job.ingest.id + "." + std::string(status) + "@" + settings.message_id_domain + ">";
  message.text = ingest::render_report_text(job.report);
  if (const auto results = job.report.find("results_file"); results != job.report.end()) {
    const auto name = results->get<std::string>();
    const auto kept = ingest::stored_results_path(data_dir, job.ingest.tenant, name);
    std::error_code ec;
    if (fs::exists(kept, ec)) message.attachments.push_back({name, kept});
  }
  return message;
}

MailMessage digest_message(const MailSettings& settings, const DeliveryJob& job, base::WallTime now) {
  auto message = addressed(settings, job, now);
  message.subject = digest_subject(job.report);
  std::string until = job.report.value("until", "");
  std::erase_if(until, [](char c) { return c == ':' || c == '-'; });
  message.message_id =
      "<digest." + job.delivery.tenant + "." + until + "@" + settings.message_id_domain + ">";
  message.text = render_digest_text(job.report);
  return message;
}

tl::expected<std::string, std::string> render_message(const MailMessage& message) {
  std::string out;
  for (const auto& line : header_lines(message)) out += line + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  const std::string text_headers =
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
  if (message.attachments.empty()) return out + text_headers + "\r\n" + crlf(message.text);
  const std::string boundary = "=_intake_" + message.message_id.substr(1, message.message_id.find('@') - 1);
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + text_headers + "\r\n" + crlf(message.text) + "\r\n";
  for (const auto& attachment : message.attachments) {
    const auto bytes = read_whole(attachment.path);
    if (!bytes) return tl::unexpected(bytes.error());
    out += "--" + boundary + "\r\nContent-Type: " + attachment.content_type +
           "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"" +
           attachment.name + "\"\r\n\r\n";
    const auto encoded = base::base64_encode(*bytes);
    for (std::size_t at = 0; at < encoded.size(); at += 76) out += encoded.substr(at, 76) + "\r\n";
  }
  return out + "--" + boundary + "--\r\n";
}

AttemptResult send_mail(const MailSettings& settings, const MailMessage& message) {
  if (settings.smtp_url.empty()) return write_to_pickup(settings, message);
  return send_smtp(settings, message);
}

}  // namespace intake::delivery
