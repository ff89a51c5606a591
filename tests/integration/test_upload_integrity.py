"""An acknowledged upload is exactly the bytes ingested, once; nothing unacknowledged is applied.
Two real connections (paramiko, raw SFTP) race on one name; OpenSSH sftp, curl and sshfs meet a name
whose last upload was just taken (a ghost)."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import paramiko

from raw_sftp import APPEND_F, CLOSE, CREAT_F, EXTENDED, FAILURE, HANDLE, OK, TRUNC_F, WRITE_F, s
from test_sftp import NAME_OK, SftpTestCase, csv_bytes

ROUNDS = 30


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Integrity(SftpTestCase):
    def settled_history(self, timeout=60):
        """The journal once no ingest is waiting or running any more."""
        deadline = time.time() + timeout
        while True:
            history = self.history()
            if all(r["status"] not in ("queued", "processing") for r in history) or time.time() > deadline:
                return history
            time.sleep(0.05)

    def assert_exactly_acknowledged(self, acknowledged):
        """Every acknowledged upload was journalled with its own bytes, archived unchanged, and nothing
        else was journalled as complete."""
        completed = [r for r in self.settled_history() if r["status"] != "partial"]
        self.assertEqual(sorted(r["sha256"] for r in completed), sorted(sha(c) for c in acknowledged))
        for record in completed:
            with open(record["archive_path"], "rb") as f:
                self.assertEqual(sha(f.read()), record["sha256"], "the archive changed after the journal")
            self.assertNotEqual(record["status"], "failed", record)
        return completed

    def test_a_second_writer_of_an_open_name_is_refused_and_the_first_lands_intact(self):
        first, second = self.raw(), self.raw()
        content = csv_bytes(40, "first")
        opened = first.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F)
        self.assertEqual(first.write(opened.handle, 0, content[:1000]).code, OK)
        refused = second.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F)
        self.assertEqual(refused.code, FAILURE)
        self.assertIn("being uploaded by another connection", refused.message)
        # Nothing may move a name in or out from under an open handle either.
        temp = second.upload("/upload/other.partial", csv_bytes(5, "other"))
        self.assertEqual(second.close(temp).code, OK)
        self.assertEqual(second.posix_rename("/upload/other.partial", f"/upload/{NAME_OK}").code, FAILURE)
        self.assertEqual(second.rename(f"/upload/{NAME_OK}", "/upload/moved.partial").code, FAILURE)
        self.assertEqual(second.remove(f"/upload/{NAME_OK}").code, FAILURE)
        self.assertEqual(first.write(opened.handle, 1000, content[1000:]).code, OK)
        self.assertEqual(first.close(opened.handle).code, OK)
        self.assert_exactly_acknowledged([content])
        # Once it was taken, the same name is free for the next upload.
        again = csv_bytes(41, "again")
        self.assertEqual(second.close(second.upload(f"/upload/{NAME_OK}", again)).code, OK)
        self.assert_exactly_acknowledged([content, again])

    def test_concurrent_paramiko_puts_of_one_name(self):
        writers = 3
        clients = []
        for _ in range(writers):
            transport = self.login("acme-corp", self.key)
            clients.append(paramiko.SFTPClient.from_transport(transport))
        acknowledged, refused = [], []
        lock = threading.Lock()

        def put(client, content):
            local = tempfile.NamedTemporaryFile(dir=self.tmp, delete=False)
            local.write(content)
            local.close()
            try:
                # Acknowledged means CLOSE answered OK. (confirm=True would STAT the name afterwards,
                # and the ghost answering may already be the next writer's upload, of another size.)
                client.put(local.name, f"/upload/{NAME_OK}", confirm=False)
                with lock:
                    acknowledged.append(content)
            except (IOError, paramiko.SSHException):
                with lock:
                    refused.append(content)

        for round_number in range(ROUNDS):
            threads = [threading.Thread(target=put, args=(client, csv_bytes(50 + 7 * i, f"r{round_number}w{i}")))
                       for i, client in enumerate(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        self.assertEqual(len(acknowledged) + len(refused), ROUNDS * writers)
        self.assertGreater(len(acknowledged), ROUNDS - 1)  # at least one writer wins every round
        self.assert_exactly_acknowledged(acknowledged)
        self.assertEqual(os.listdir(self.upload_dir()), [], "a refused open leaves nothing behind")

    def test_close_racing_posix_rename_onto_the_same_name(self):
        closer, renamer = self.raw(), self.raw()
        acknowledged, left_behind = [], []
        for round_number in range(ROUNDS):
            direct = csv_bytes(20 + round_number, f"direct{round_number}")
            staged = csv_bytes(60 + round_number, f"staged{round_number}")
            temp = f"/upload/{NAME_OK}.{round_number}.partial"
            self.assertEqual(renamer.close(renamer.upload(temp, staged)).code, OK)
            handle = closer.upload(f"/upload/{NAME_OK}", direct)
            # Both requests leave at once; the server sees them in either order.
            close_id = closer.send(CLOSE, s(handle))
            rename_id = renamer.send(EXTENDED, s("posix-rename@openssh.com"), s(temp), s(f"/upload/{NAME_OK}"))
            closed, renamed = closer.reply(), renamer.reply()
            self.assertEqual((closed.id, renamed.id), (close_id, rename_id))
            if closed.code == OK:
                acknowledged.append(direct)
            if renamed.code == OK:
                acknowledged.append(staged)
            else:
                left_behind.append(temp)
                self.assertEqual(renamer.remove(temp).code, OK)  # the refused file was still there
            self.assertNotEqual(closed.code, FAILURE, closed)  # a CLOSE never loses its own file
        self.assert_exactly_acknowledged(acknowledged)

    def test_reput_of_a_ghost_is_refused_and_no_fragment_is_taken(self):
        first, bigger = csv_bytes(10, "a"), csv_bytes(12, "a")  # the second starts like the first
        self.local("first.csv", first)
        self.local("bigger.csv", bigger)
        result = self.sftp_batch([f"put first.csv upload/{NAME_OK}"])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        # reput STATs the ghost (the first file's size) and would append only the tail.
        for command in (f"reput bigger.csv upload/{NAME_OK}", f"put -a bigger.csv upload/{NAME_OK}"):
            result = self.sftp_batch([command])
            self.assertNotEqual(result.returncode, 0, result.stdout + result.stderr)
        raw = self.raw()
        refused = raw.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | APPEND_F)
        self.assertEqual(refused.code, FAILURE)
        self.assertIn("already taken for processing", refused.message)
        # Without TRUNC (scp's in-place open) it is a fresh file whose first WRITE must start it: a WRITE
        # at the ghost's size is a resume, refused, and its CLOSE says so.
        resumed = raw.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F)
        self.assertEqual(resumed.kind, HANDLE)
        self.assertEqual(raw.write(resumed.handle, len(first), bigger[len(first):]).code, FAILURE)
        self.assertEqual(raw.close(resumed.handle).code, FAILURE)
        self.assertEqual(raw.remove(f"/upload/{NAME_OK}").code, OK)
        # A whole new upload of the name is fine, with or without CREAT (shell redirection).
        handle = raw.upload(f"/upload/{NAME_OK}", bigger, flags=WRITE_F | TRUNC_F)
        self.assertEqual(raw.close(handle).code, OK)
        self.assert_exactly_acknowledged([first, bigger])

    def test_a_dropped_writer_records_its_own_partial_only(self):
        first = self.raw()
        opened = first.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F)
        self.assertEqual(first.write(opened.handle, 0, b"x" * 1000).code, OK)
        second = self.raw()
        self.assertEqual(second.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F).code, FAILURE)
        first.channel.get_transport().close()  # the connection drops mid-upload
        self.wait_for_log("event=upload.partial")
        partials = [r for r in self.history() if r["status"] == "partial"]
        self.assertEqual([p["size"] for p in partials], [1000])
        # The partial file stays for resume; a fresh upload replaces it.
        content = csv_bytes(30, "fresh")
        self.assertEqual(second.close(second.upload(f"/upload/{NAME_OK}", content)).code, OK)
        self.assert_exactly_acknowledged([content])

    def test_curl_resume_of_a_ghost_fails_cleanly_and_a_fresh_name_uploads(self):
        first, bigger = csv_bytes(10, "k"), csv_bytes(14, "k")
        url = f"sftp://127.0.0.1:{self.port}/upload/{NAME_OK}"

        def curl(content, *extra):
            return subprocess.run(["curl", "-sS", "--insecure", "--key", self.key, "--pubkey", self.key + ".pub",
                                   "-u", "acme-corp:", *extra, "-T", self.local("k.csv", content), url],
                                  capture_output=True, text=True, timeout=60)

        result = curl(first, "-C", "-")  # nothing there yet: resume from 0 is a plain upload
        self.assertEqual(result.returncode, 0, result.stderr)
        result = curl(bigger, "-C", "-")  # the ghost: refused, not appended
        self.assertNotEqual(result.returncode, 0)
        self.assert_exactly_acknowledged([first])
        result = curl(bigger)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_exactly_acknowledged([first, bigger])


@unittest.skipUnless(shutil.which("sshfs") and os.path.exists("/dev/fuse"), "sshfs and /dev/fuse needed")
class Sshfs(SftpTestCase):
    def mount(self):
        mountpoint = os.path.join(self.tmp, "mnt")
        os.makedirs(mountpoint)
        result = subprocess.run(
            ["sshfs", "acme-corp@127.0.0.1:/", mountpoint, "-p", str(self.port), "-o",
             f"IdentityFile={self.key},IdentitiesOnly=yes,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,"
             "BatchMode=yes"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.addCleanup(subprocess.run, ["fusermount3", "-u", "-z", mountpoint], capture_output=True)
        return mountpoint

    def test_cp_and_redirection_over_a_ghost(self):
        mountpoint = self.mount()
        target = os.path.join(mountpoint, "upload", NAME_OK)
        contents = [csv_bytes(10, "s1"), csv_bytes(11, "s2"), csv_bytes(12, "s3")]
        for content in contents[:2]:  # the second cp meets the first one's ghost
            result = subprocess.run(["cp", self.local("s.csv", content), target], capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)
        result = subprocess.run(["sh", "-c", f"cat > '{target}'"], input=contents[2], capture_output=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(os.listdir(os.path.join(mountpoint, "upload")), [])
        self.assert_completed(contents)


if __name__ == "__main__":
    unittest.main()
