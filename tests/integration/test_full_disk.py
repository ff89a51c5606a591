"""A disk that stays full while an upload is applied, then is freed, with no restart: the ingest waits it
out (retrying on a timer, each attempt in `intake history`), holding its tenant's order, and is applied
once space is back — never concluded `failed`, never left `processing`. The full disk is real: the
data dir's results/ folder is a small tmpfs filled to the last page."""
import os
import re
import subprocess

from test_ingest import IngestTestCase, snapshot


class FullDisk(IngestTestCase):
    config = IngestTestCase.config + 'ingest_retry_backoff = "1s"\ndelivery_backoff = "1s"\ningest_backlog_wait = 0\n'

    def setUp(self):
        super().setUp()
        self.results = os.path.join(self.data_dir, "results")
        os.makedirs(self.results)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", self.results],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
        self.addCleanup(subprocess.run, ["umount", "-l", self.results], capture_output=True)
        self.start_server()

    def fill(self):
        """Fills the tmpfs to its last page with one file; returns its path."""
        path = os.path.join(self.results, "filler")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        return path

    def attempts(self, ingest_id):
        [ingest] = [h for h in self.json_of("history") if h["id"] == ingest_id]
        return ingest

    def test_full_disk_past_many_retries_then_freed_applies_without_a_restart(self):
        filler = self.fill()
        self.sftp_put(snapshot("ORG1", ["ann", "bob"]))
        self.sftp_put(snapshot("ORG1", ["ann", "bob", "cy"]), name="livesafe_snapshot.csv")
        first_id = self.json_of("history")[-1]["id"]

        def retried_past_the_limit():  # 3 identical failures conclude anything that is not transient
            ingest = self.attempts(first_id)
            attempt = re.match(r"attempt (\d+) failed", ingest["message"])
            return ingest if attempt and int(attempt.group(1)) >= 4 else None
        waiting = self.wait_until(retried_past_the_limit, 30,
                                  lambda: f"no 4th attempt: {self.json_of('history')}")
        self.assertEqual(waiting["status"], "processing")
        self.assertIn("No space left on device", waiting["message"])
        self.assertIn("the tenant's later files wait", waiting["message"])
        self.assertEqual([h["status"] for h in self.json_of("history")], ["queued", "processing"])  # order held

        os.remove(filler)
        history = self.wait_final(2, timeout=30)
        self.assertEqual([h["status"] for h in history], ["applied", "applied"])
        self.assertEqual(sorted(u["username"] for u in self.json_of("users", "acme-corp")), ["ann", "bob", "cy"])
        self.assertRegex(self.log(), r"attempt 4 failed \(.*No space left on device")
        reports = os.listdir(os.path.join(self.data_dir, "tenants", "acme-corp", "reports"))
        self.assertEqual(sorted(reports), sorted(f"{h['id']}_livesafe_snapshot.csv{suffix}"
                                                 for h in history for suffix in (".txt", ".results.csv")))
