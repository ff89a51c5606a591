"""Ingest hooks end to end: a real HTTPS receiver verifying every Standard Webhooks signature (500 then
200, 410), a command hook that fails once then succeeds, driven through the real CLI and server."""
import json
import os

from server_harness import free_port
from test_ingest import IngestTestCase, snapshot
from tls_certs import make_certificates
from webhook_receiver import WebhookReceiver


class Hooks(IngestTestCase):
    def setUp(self):
        super().setUp()
        ca, cert, key = make_certificates(self.tmp)
        self.receiver = WebhookReceiver(free_port(), cert, key).start()
        self.addCleanup(self.receiver.stop)
        self.url = f"https://127.0.0.1:{self.receiver.server.server_address[1]}/intake"
        self.write_config(self.config + f'webhook_ca_file = "{ca}"\ndelivery_backoff = "1s"\n')
        self.start_server()

    def add_webhook(self, *extra):
        hook = self.json_of("hooks", "add", "--tenant", "acme-corp", "--url", self.url, *extra)
        self.receiver.secret = hook["secret"]
        return hook

    def test_webhook_signed_retried_after_500_delivered_once_and_replayed(self):
        hook = self.add_webhook()
        self.receiver.answers = [500]
        self.sftp_put(snapshot("ORG1", ["ann", "bob", "cy"]))
        ingest = self.wait_final(1)[0]
        [delivery] = [d for d in ingest["deliveries"] if d["kind"] == "webhook"]
        self.assertEqual((delivery["status"], delivery["attempts"]), ("delivered", 2), delivery)
        self.assertEqual(delivery["outcome"], "HTTP 200: ok")

        requests = self.receiver.requests
        self.assertEqual([r["answered"] for r in requests], [500, 200])
        self.assertTrue(all(r["verified"] for r in requests), "every request carries a valid signature")
        self.assertEqual({r["id"] for r in requests}, {f"{ingest['id']}.ingest.concluded"})  # the same id
        event = requests[-1]["event"]
        self.assertEqual(event["type"], "ingest.concluded")
        data = event["data"]
        self.assertEqual((data["tenant"], data["ingest_id"], data["status"], data["sequence"]),
                         ("acme-corp", ingest["id"], "applied", 1))
        self.assertEqual(data["counts"]["added"], 3)
        self.assertEqual(sorted(c["key"] for c in data["changes"]), ["ann", "bob", "cy"])
        self.assertEqual(data["report_file"], f"reports/{ingest['id']}_livesafe_snapshot.csv.txt")

        # Support replays it (the receiver lost it): the same id and body, signed afresh.
        self.run_intake("hooks", "replay", str(delivery["id"]))
        self.wait_until(lambda: len(self.receiver.requests) == 3 or None, 15, lambda: "no replay")
        self.assertEqual(requests[2]["id"], requests[0]["id"])
        self.assertTrue(requests[2]["verified"])
        self.assertEqual(requests[2]["event"], event)
        self.assertEqual(self.json_of("hooks", "deliveries", str(hook["id"]))[0]["attempts"], 3)

        # The secret was shown once: never in a list, the audit trail, the log, or the database in clear.
        secret = self.receiver.secret
        self.assertNotIn(secret, self.run_intake("hooks", "list", "--json").stdout)
        self.assertNotIn(secret, self.run_intake("audit").stdout)
        self.assertNotIn(secret, self.log())
        for name in os.listdir(self.data_dir):
            path = os.path.join(self.data_dir, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.assertNotIn(secret.encode(), f.read(), name)

    def test_410_gives_up_and_disables_the_hook(self):
        hook = self.add_webhook("--events", "ingest.concluded")
        self.receiver.answers = [410]
        self.sftp_put(snapshot("ORG1", ["ann"]))
        ingest = self.wait_final(1)[0]
        [delivery] = [d for d in ingest["deliveries"] if d["kind"] == "webhook"]
        self.assertEqual((delivery["status"], delivery["attempts"]), ("failed", 1))
        self.assertIn("HTTP 410", delivery["outcome"])
        [listed] = self.json_of("hooks", "list")
        self.assertEqual(listed["id"], hook["id"])
        self.assertIn("HTTP 410", listed["disabled_reason"])
        self.assertIn("disabled", self.run_intake("hooks", "list").stdout)
        # Disabled: the next upload queues nothing for it.
        self.sftp_put(snapshot("ORG1", ["ann", "bob"]))
        second = self.wait_final(2)[1]
        self.assertEqual([d for d in second["deliveries"] if d["kind"] == "webhook"], [])
        self.assertEqual(len(self.receiver.requests), 1)

    def test_command_hook_fails_once_then_succeeds(self):
        state = os.path.join(self.tmp, "hook-state")
        program = os.path.join(self.tmp, "on-ingest")
        with open(program, "w") as f:
            f.write("#!/usr/bin/python3\n"
                    "import json, os, sys\n"
                    "event = json.load(sys.stdin)\n"
                    f"state = {state!r}\n"
                    "if not os.path.exists(state):\n"
                    "    open(state, 'w').close()\n"
                    "    print('directory service not reachable yet')\n"
                    "    sys.exit(75)\n"
                    "with open(state, 'w') as f:\n"
                    "    json.dump({'event': event, 'env': {k: v for k, v in os.environ.items()}}, f)\n"
                    "print('synced', event['data']['counts']['added'], 'users')\n")
        os.chmod(program, 0o755)
        self.run_intake("hooks", "add", "--command", program, "--events", "ingest.concluded")  # every tenant
        self.sftp_put(snapshot("ORG1", ["ann", "bob"]))
        ingest = self.wait_final(1)[0]
        [delivery] = [d for d in ingest["deliveries"] if d["kind"] == "command"]
        self.assertEqual((delivery["status"], delivery["attempts"]), ("delivered", 2), delivery)
        self.assertEqual(delivery["outcome"], "exit 0: synced 2 users")
        with open(state) as f:
            seen = json.load(f)
        self.assertEqual(seen["event"]["data"]["ingest_id"], ingest["id"])
        self.assertEqual(seen["env"]["INTAKE_INGEST_ID"], ingest["id"])
        self.assertEqual(seen["env"]["INTAKE_STATUS"], "applied")
        self.assertEqual(seen["env"]["INTAKE_TENANT"], "acme-corp")
        self.assertNotIn("HOME", seen["env"])  # nothing of the server's own environment
        self.assertIn("exit 75: directory service not reachable yet", self.log())

    def test_bad_hooks_are_refused_with_what_to_do(self):
        self.assertIn("https://", self.run_intake("hooks", "add", "--url", "http://hooks.example/x", expect=1).stderr)
        self.assertIn("absolute path", self.run_intake("hooks", "add", "--command", "on-ingest", expect=1).stderr)
        self.assertIn("is not an event", self.run_intake("hooks", "add", "--url", self.url, "--events",
                                                         "ingest.done", expect=1).stderr)
        self.assertIn("either --url", self.run_intake("hooks", "add", expect=1).stderr)
