"""Ingest end to end: real clients upload, `intake serve` journals and applies, support reads it back."""
import os
import signal
import sqlite3
import time

import paramiko

from server_harness import ServerTestCase

NAME = "livesafe_snapshot.csv"
HEADER = "organizationid,username,firstname,lastname,email,mobilephone,groupname\n"


def snapshot(org, users, tag=""):
    rows = [f"{org},{u},First{tag},Last,{u}@example.org,+1555000{i:04d},{'Staff' if i % 2 else 'Students'}\n"
            for i, u in enumerate(users)]
    return (HEADER + "".join(rows)).encode()


class IngestTestCase(ServerTestCase):
    config = "ban_max_failures = 0\nshutdown_grace = 1\n"

    def setUp(self):
        super().setUp()
        self.run_intake("tenant", "add", "acme-corp", "--org-id", "ORG1", "--report-email", "it@acme.example")
        pub = self.make_key("acme-key", "-t", "ed25519")
        self.run_intake("key", "add", "acme-corp", "--file", pub)
        self.key = pub[:-4]

    def sftp_put(self, content, name=NAME):
        transport = self.login("acme-corp", self.key)
        client = paramiko.SFTPClient.from_transport(transport)
        with client.open(f"/upload/{name}", "wb") as f:
            f.write(content)
        client.close()
        transport.close()

    def wait_final(self, count, timeout=10):
        return self.wait_final_ingests("acme-corp", count, timeout)


class Ingest(IngestTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()

    def test_upload_is_applied_within_2s_then_updated_and_removed(self):
        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(30)]))
        completed = time.time()  # the client's CLOSE was answered
        self.assertEqual(os.listdir(os.path.join(self.data_dir, "tenants", "acme-corp", "upload")), [])
        first = self.wait_final(1)[0]
        self.assertLess(time.time() - completed, 2.0)
        self.assertEqual(first["status"], "applied")
        self.assertEqual(first["counts"], {"rows": 30, "added": 30, "updated": 0, "removed": 0, "unchanged": 0,
                                           "skipped": 0, "invalid": 0})
        users = self.json_of("users", "acme-corp")
        self.assertEqual(len(users), 30)
        self.assertEqual(users[0]["source"], "sync")
        self.assertEqual({g["name"]: g["members"] for g in self.json_of("groups", "acme-corp")},
                         {"Staff": 15, "Students": 15})

        # Second snapshot: u0..u4 gone (5 of 30 < 25%), u5..u9 renamed, u30 new.
        users2 = [f"u{i}" for i in range(5, 31)]
        content = snapshot("ORG1", users2[:5], tag="X") + b"".join(
            snapshot("ORG1", users2, tag="").split(b"\n", 1)[1].split(b"\n")[5:-1][i] + b"\n" for i in range(21))
        self.sftp_put(content)
        second = self.wait_final(2)[1]
        self.assertEqual(second["status"], "applied", second)
        self.assertEqual((second["counts"]["removed"], second["counts"]["added"]), (5, 1))
        self.assertEqual(second["counts"]["updated"] + second["counts"]["unchanged"], 25)
        self.assertEqual(len(self.json_of("users", "acme-corp")), 26)
        self.assertEqual(len(self.json_of("users", "acme-corp", "--status", "removed")), 5)
        self.assertEqual(len(self.json_of("users", "acme-corp", "--search", "u30")), 1)
        report = self.run_intake("report", second["id"]).stdout
        self.assertIn("removed 5", report)
        outbox = os.listdir(os.path.join(self.data_dir, "outbox"))
        self.assertEqual(len(outbox), 2)
        with open(os.path.join(self.data_dir, "outbox", outbox[0])) as f:
            self.assertIn("To: it@acme.example", f.read())

    def test_wrong_org_id_is_rejected_and_its_report_is_in_reports(self):
        self.sftp_put(snapshot("NOT-OURS", ["a", "b"]))
        ingest = self.wait_final(1)[0]
        self.assertEqual(ingest["status"], "rejected")
        self.assertIn("organizationid 'NOT-OURS'", ingest["message"])
        transport = self.login("acme-corp", self.key)
        client = paramiko.SFTPClient.from_transport(transport)
        names = client.listdir("/reports")
        self.assertEqual(names, [f"{ingest['id']}_{NAME}.txt"])  # named by the ingest id: one per upload
        with client.open(f"/reports/{names[0]}") as f:
            text = f.read().decode()
        self.assertIn("Status:      rejected", text)
        self.assertIn("NOT-OURS", text)
        self.assertEqual(self.json_of("users", "acme-corp"), [])

    def test_timestamped_name_is_refused_at_open(self):
        transport = self.login("acme-corp", self.key)
        client = paramiko.SFTPClient.from_transport(transport)
        with self.assertRaises(OSError) as refused:  # FAILURE: paramiko shows the server's text
            client.open("/upload/livesafe_snapshot_2026-11-21.csv", "wb")
        self.assertIn("name the file exactly livesafe_snapshot.csv", str(refused.exception))
        self.assertEqual(self.json_of("history"), [])

    def test_repeated_upload_is_duplicate(self):
        content = snapshot("ORG1", ["a", "b", "c"])
        self.sftp_put(content)
        self.wait_final(1)
        self.sftp_put(content)
        history = self.wait_final(2)
        self.assertEqual([h["status"] for h in history], ["applied", "duplicate"])
        self.assertEqual(history[0]["sha256"], history[1]["sha256"])

    def test_mass_removal_is_held_then_discarded_or_released(self):
        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(40)]))
        self.wait_final(1)
        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(10)]))
        held = self.wait_final(2)[1]
        self.assertEqual(held["status"], "held")
        self.assertIn("would remove 30 of 40", held["message"])
        self.assertEqual(len(self.json_of("users", "acme-corp")), 40)
        self.assertEqual(self.json_of("ingest", "discard", held["id"])["status"], "discarded")
        self.assertEqual(len(self.json_of("users", "acme-corp")), 40)

        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(10)], tag="2"))
        held = self.wait_final(3)[2]
        self.assertEqual(held["status"], "held")
        released = self.json_of("ingest", "release", held["id"])
        self.assertEqual(released["status"], "applied")
        self.assertEqual(released["counts"]["removed"], 30)
        self.assertEqual(len(self.json_of("users", "acme-corp")), 10)
        self.assertIn("not held", self.run_intake("ingest", "release", held["id"], expect=1).stderr)
        actions = [e["action"] for e in self.json_of("audit", "--tenant", "acme-corp")]
        self.assertIn("ingest.release", actions)
        self.assertIn("ingest.discard", actions)

    def test_manual_users_are_never_touched(self):
        self.run_intake("users", "add", "acme-corp", "boss", "--first-name", "Manual", "--email", "boss@example.org")
        self.sftp_put(snapshot("ORG1", ["boss", "a"]))
        ingest = self.wait_final(1)[0]
        self.assertEqual((ingest["counts"]["added"], ingest["counts"]["skipped"]), (1, 1))
        boss = self.json_of("users", "acme-corp", "--search", "boss")[0]
        self.assertEqual((boss["first_name"], boss["source"]), ("Manual", "manual"))


class Retention(IngestTestCase):
    def test_archive_is_swept_after_archive_days_but_never_before_the_ingest_is_final(self):
        self.write_config(self.config + "archive_days = 30\n")
        self.start_server()
        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(40)]))
        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(5)]))
        applied, held = self.wait_final(2)
        self.assertEqual((applied["status"], held["status"]), ("applied", "held"))
        # Age comes from the journal's received time, not the file's mtime (clients may set that).
        db = sqlite3.connect(os.path.join(self.data_dir, "intake.db"))
        db.execute("UPDATE ingests SET received_at = '2000-01-01T00:00:00.000Z'")
        db.commit()
        db.close()
        self.stop_server()
        self.log_file.close()
        self.start_server()
        self.wait_for_log("event=archive.swept")
        self.assertFalse(os.path.exists(applied["archive_path"]))
        self.assertTrue(os.path.exists(held["archive_path"]), "a held file is not final: it stays")

    def test_report_files_a_crash_left_in_staging_are_swept_at_start_once_an_hour_old(self):
        staging = os.path.join(self.data_dir, "staging")
        os.makedirs(staging)
        old, fresh = (os.path.join(staging, f"{n}.txt.tmp-0123456789abcdef") for n in ("old", "fresh"))
        for path in (old, fresh):
            with open(path, "w") as f:
                f.write("half a rep")
        two_hours_ago = time.time() - 7200
        os.utime(old, (two_hours_ago, two_hours_ago))
        self.start_server()
        self.wait_for_log("event=staging.swept count=1")
        self.assertFalse(os.path.exists(old))
        self.assertTrue(os.path.exists(fresh), "a report being written right now by another process stays")
        self.assertEqual(os.listdir(os.path.join(self.data_dir, "tenants", "acme-corp", "reports")), [])


class CrashSafety(IngestTestCase):
    def test_kill_9_during_a_burst_loses_nothing_acknowledged_and_applies_nothing_twice(self):
        self.start_server()
        acknowledged = []
        users = [f"u{i}" for i in range(20)]
        transport = self.login("acme-corp", self.key)
        client = paramiko.SFTPClient.from_transport(transport)
        killed = False
        for n in range(50):
            content = snapshot("ORG1", users, tag=str(n))
            try:
                with client.open(f"/upload/{NAME}", "wb") as f:
                    f.write(content)
                acknowledged.append(content)  # CLOSE answered OK
            except (OSError, EOFError, paramiko.SSHException):
                break
            if n == 24 and not killed:
                self.server.send_signal(signal.SIGKILL)
                killed = True
        self.server.wait()
        self.assertTrue(killed)
        self.log_file.close()
        self.start_server()
        history = self.wait_final(len(acknowledged), timeout=30)
        by_sha = {}
        for record in history:
            if record["sha256"]:
                by_sha.setdefault(record["sha256"], []).append(record)
        import hashlib
        for content in acknowledged:
            records = by_sha.get(hashlib.sha256(content).hexdigest(), [])
            self.assertEqual(len(records), 1, "every acknowledged upload is journalled exactly once")
            self.assertEqual(records[0]["status"], "applied")
        # Applied once each, in order: the directory holds the last acknowledged snapshot.
        last_tag = acknowledged[-1].split(b"\n")[1].split(b",")[2].decode()
        self.assertEqual({u["first_name"] for u in self.json_of("users", "acme-corp")}, {last_tag})
        db = sqlite3.connect(os.path.join(self.data_dir, "intake.db"))
        statuses = dict(db.execute("SELECT status, count(*) FROM ingests GROUP BY status").fetchall())
        db.close()
        self.assertEqual(statuses.get("queued", 0) + statuses.get("processing", 0), 0)
        self.assertGreaterEqual(statuses.get("applied", 0), len(acknowledged))


class StopWhileApplying(IngestTestCase):
    """SIGTERM while a large file is being applied: past shutdown_grace it is abandoned (its transaction
    rolls back, the log names it) instead of holding the stop for as long as it takes, and the next start
    applies it once. (That queued files are left queued is the queue's unit test.)"""
    config = "ban_max_failures = 0\nshutdown_grace = 0\n"

    def test_sigterm_abandons_the_apply_and_the_next_start_runs_it(self):
        self.start_server()
        self.sftp_put(snapshot("ORG1", [f"u{i}" for i in range(500000)], tag="big"))  # seconds to apply
        self.wait_until(lambda: self.json_of("history")[0]["status"] != "queued", 30,
                        lambda: "the upload never started being applied")
        self.assertEqual(self.json_of("history")[0]["status"], "processing")
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=30), 0)
        ingest_id = self.json_of("history")[0]["id"]
        self.assertIn(f"event=ingest.left queued=0 abandoned={ingest_id}", self.log())
        self.assertEqual(self.json_of("users", "acme-corp"), [])  # rolled back, nothing half-applied

        self.log_file.close()
        self.start_server()
        applied = self.wait_final(1, timeout=180)[0]
        self.assertEqual((applied["status"], applied["counts"]["added"]), ("applied", 500000))
