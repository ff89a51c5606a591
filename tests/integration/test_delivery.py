"""The outbox end to end: reports e-mailed over SMTP (a real aiosmtpd server with STARTTLS and AUTH),
retried after 4xx, given up at 5xx and retried by hand; report files that survive kill -9."""
import os
import random
import signal
import sqlite3
import time

from mail_server import MailServer
from server_harness import free_port
from test_ingest import IngestTestCase, snapshot
from tls_certs import make_certificates
from webhook_receiver import WebhookReceiver

SMTP_PASSWORD = "pw-Zq8-never-in-a-log"


class MailTestCase(IngestTestCase):
    """A server whose report e-mails go to a real SMTP server with STARTTLS and AUTH."""

    def setUp(self):
        super().setUp()
        _, self.cert, self.key_file = make_certificates(self.tmp)
        self.ca = os.path.join(self.tmp, "ca.pem")
        self.smtp_port = free_port()
        self.mail = MailServer(self.smtp_port, self.cert, self.key_file, "intake", SMTP_PASSWORD).start()
        self.addCleanup(self.mail.stop)
        password_file = os.path.join(self.tmp, "smtp-password")
        with open(password_file, "w") as f:
            f.write(SMTP_PASSWORD + "\n")
        self.write_config(self.config + "\n".join([
            f'smtp_url = "smtp://127.0.0.1:{self.smtp_port}"', 'smtp_user = "intake"',
            f'smtp_password_file = "{password_file}"', f'smtp_ca_file = "{self.ca}"',
            'mail_from = "Intake <reports@sftp.example.com>"', 'public_host = "sftp.example.com"',
            'delivery_backoff = "1s"', f'webhook_ca_file = "{self.ca}"', ""]))
        self.start_server()

    def deliveries(self, ingest, kind="email"):
        return [d for d in ingest["deliveries"] if d["kind"] == kind]


class MailDelivery(MailTestCase):
    def test_report_mailed_after_a_4xx_over_starttls_with_auth_and_the_results_attached(self):
        self.mail.data_answers = ["451 4.3.0 mailbox busy, try again"]
        self.sftp_put(snapshot("ORG1", ["ann", "bob", "cy"]))
        ingest = self.wait_final(1)[0]
        self.assertEqual(ingest["status"], "applied")
        [email] = self.deliveries(ingest)
        self.assertEqual((email["status"], email["attempts"], email["target"]), ("delivered", 2, "it@acme.example"))
        self.assertTrue(email["outcome"].startswith("250"), email)
        self.assertEqual([a["answer"][:3] for a in self.mail.attempts], ["451", "250"])
        self.assertTrue(all(a["tls"] and a["authenticated"] for a in self.mail.attempts), self.mail.attempts)

        [received] = self.mail.messages
        message = received["message"]
        self.assertEqual(received["mail_from"], "reports@sftp.example.com")
        self.assertEqual(received["rcpt_tos"], ["it@acme.example"])
        self.assertEqual(message["To"], "it@acme.example")
        self.assertEqual(message["Message-ID"], f"<{ingest['id']}.applied@sftp.example.com>")
        self.assertIn("applied (3 added", message["Subject"])
        text, attachment = [part for part in message.iter_parts()]
        self.assertIn(f"Ingest id:   {ingest['id']}", text.get_content())
        self.assertEqual(attachment.get_filename(), f"{ingest['id']}_livesafe_snapshot.csv.results.csv")
        self.assertIn("bob", attachment.get_content())

        # Support sees where the report went; the log says each attempt; the password is nowhere.
        report = self.run_intake("report", ingest["id"]).stdout
        self.assertRegex(report, r"e-mail to it@acme.example \(applied\): delivered at 20")
        self.assertRegex(report, r"report file in reports/ \(applied\): delivered at 20")
        self.assertIn("event=delivery.pending", self.log())
        self.assertIn("451 4.3.0 mailbox busy", self.log())
        self.assertNotIn(SMTP_PASSWORD, self.log())
        self.assertNotIn(SMTP_PASSWORD, self.run_intake("outbox", "--json").stdout)

    def test_a_5xx_is_given_up_at_once_listed_as_failed_and_retried_by_hand(self):
        self.run_intake("tenant", "set", "acme-corp", "--report-email", "gone@acme.example")
        self.mail.refuse.add("gone@acme.example")
        self.sftp_put(snapshot("ORG1", ["ann"]))
        ingest = self.wait_final(1)[0]
        [email] = self.deliveries(ingest)
        self.assertEqual((email["status"], email["attempts"]), ("failed", 1))
        self.assertIn("550 5.1.1 <gone@acme.example>: no such user here", email["outcome"])
        self.assertIn("not delivered: 550 5.1.1", self.run_intake("report", ingest["id"]).stdout)
        [failed] = self.json_of("outbox", "--failed")
        self.assertEqual(failed["id"], email["id"])
        self.assertEqual(self.mail.messages, [])

        # The address is fixed at the mail server; support retries the same delivery.
        self.mail.refuse.clear()
        self.run_intake("outbox", "retry", str(email["id"]))
        self.wait_until(lambda: self.json_of("outbox", "--json")[0]["status"] == "delivered" or None, 15,
                        lambda: f"not delivered: {self.json_of('outbox')}")
        self.assertEqual(len(self.mail.messages), 1)
        self.assertEqual(self.json_of("outbox", "--failed"), [])
        audit = self.run_intake("audit").stdout
        self.assertIn("outbox.retry", audit)
        # Delivered: there is nothing to retry any more, and the command says so.
        refused = self.run_intake("outbox", "retry", str(email["id"]), expect=1)
        self.assertIn("was delivered at", refused.stderr)

    def test_a_daily_tenant_gets_one_digest_instead_of_a_message_per_report(self):
        self.run_intake("tenant", "set", "acme-corp", "--report-mail", "daily")
        self.sftp_put(snapshot("ORG1", ["ann", "bob"]))
        self.sftp_put(snapshot("NOT-OURS", ["cy"]))
        history = self.wait_final(2)
        self.assertEqual([d["kind"] for h in history for d in h["deliveries"]], ["report_file", "report_file"])
        self.assertEqual(self.mail.messages, [])
        out = self.run_intake("outbox", "digest", "acme-corp").stdout
        self.assertIn("queued for it@acme.example", out)
        self.wait_until(lambda: self.mail.messages or None, 15, lambda: f"no digest: {self.json_of('outbox')}")
        [received] = self.mail.messages
        message = received["message"]
        self.assertEqual(message["Subject"], "[Intake] daily report for acme-corp: 2 uploads (1 applied, 1 rejected)")
        self.assertTrue(message["Message-ID"].startswith("<digest.acme-corp."))
        [body] = message.iter_parts()  # curl's MIME: one text part, no attachment
        text = body.get_content()
        for ingest in history:
            self.assertIn(f"report: reports/{ingest['id']}_livesafe_snapshot.csv.txt", text)
        self.assertIn("organizationid 'NOT-OURS'", text)
        # The next digest starts where this one ended: nothing new since.
        self.run_intake("outbox", "digest", "acme-corp")
        self.wait_until(lambda: len(self.mail.messages) == 2 or None, 15, lambda: f"{self.json_of('outbox')}")
        self.assertIn("No uploads in this period.", next(self.mail.messages[1]["message"].iter_parts())
                      .get_content())

    def test_a_server_without_starttls_gets_nothing(self):
        """STARTTLS is required by default: against a server that does not offer it, the report waits."""
        self.mail.stop()
        plain = MailServer(self.smtp_port, None, None, "intake", SMTP_PASSWORD).start()
        self.addCleanup(plain.stop)
        self.sftp_put(snapshot("ORG1", ["ann"]))

        def attempted():
            emails = [d for d in self.json_of("outbox") if d["kind"] == "email"]
            return emails if emails and emails[0]["attempts"] >= 1 else None
        [email] = self.wait_until(attempted, 15, lambda: f"no attempt: {self.json_of('outbox')}")
        self.assertEqual(email["status"], "pending")
        self.assertIn("STARTTLS", email["outcome"])
        self.assertEqual(plain.messages, [])


class KilledWhileDelivering(MailTestCase):
    """kill -9 at random points between uploads, conclusions and deliveries, many rounds: after the last
    restart every report file is in reports/ exactly once and whole, and every report e-mail and webhook
    arrived at least once, repeats with the same Message-ID / webhook-id."""

    def test_every_report_is_delivered_after_kill_9_anywhere(self):
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        self.mail.data_answers = ["451 4.3.0 not now"] * 3  # some e-mails wait across the kills
        receiver = WebhookReceiver(free_port(), self.cert, self.key_file).start()
        self.addCleanup(receiver.stop)
        receiver.answers = [503] * 3  # and some webhooks (Retry-After: 1)
        receiver.secret = self.json_of("hooks", "add", "--url",
                                       f"https://127.0.0.1:{receiver.server.server_address[1]}/h")["secret"]
        rounds = 10
        for n in range(rounds):
            self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(40 + n)], tag=str(n)))
            # Fault injection, not a wait for anything: where the kill lands varies (the result must not).
            time.sleep(rng.uniform(0, 0.08))
            self.server.send_signal(signal.SIGKILL)
            self.server.wait()
            self.log_file.close()
            self.start_server()
        history = self.wait_final(rounds, timeout=60)
        self.assertEqual([h["status"] for h in history], ["applied"] * rounds, f"seed {seed}")
        reports = os.path.join(self.data_dir, "tenants", "acme-corp", "reports")
        expected = set()
        for ingest in history:
            expected |= {f"{ingest['id']}_livesafe_snapshot.csv.txt",
                         f"{ingest['id']}_livesafe_snapshot.csv.results.csv"}
            with open(os.path.join(reports, f"{ingest['id']}_livesafe_snapshot.csv.txt")) as f:
                text = f.read()
            self.assertIn(f"Ingest id:   {ingest['id']}", text)
            self.assertIn("Timings:", text)  # whole: its last section is there
        self.assertEqual(set(os.listdir(reports)), expected, f"seed {seed}")
        db = sqlite3.connect(os.path.join(self.data_dir, "intake.db"))
        self.assertEqual(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall(),
                         [("delivered", 3 * rounds)], f"seed {seed}")
        db.close()
        received = {}
        for message in self.mail.messages:
            received.setdefault(message["message"]["Message-ID"], []).append(message)
        self.assertEqual(set(received), {f"<{h['id']}.applied@sftp.example.com>" for h in history}, f"seed {seed}")
        self.assertEqual({r["id"] for r in receiver.requests if r["answered"] == 200},
                         {f"{h['id']}.ingest.concluded" for h in history}, f"seed {seed}")
        self.assertTrue(all(r["verified"] for r in receiver.requests))
        # Numbered per tenant without a gap, whatever was repeated.
        self.assertEqual(sorted({r["event"]["data"]["sequence"] for r in receiver.requests}),
                         list(range(1, rounds + 1)), f"seed {seed}")
