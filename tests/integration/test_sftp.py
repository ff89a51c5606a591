"""The SFTP subsystem with real clients against a real `intake serve`: every upload must give no
client-side error and exactly one completion (CLIENTS.md)."""
import hashlib
import os
import struct
import subprocess
import time

import paramiko

from raw_sftp import (ATTRS, CREAT_F, DATA, EXTENDED, EXTENDED_REPLY, FAILURE, HANDLE, MKDIR, NO_SUCH_FILE, OK,
                      OPENDIR, OP_UNSUPPORTED, PERMISSION_DENIED, READ, READ_F, READDIR, REALPATH, STATUS, SYMLINK,
                      TRUNC_F, WRITE_F, RawSftp, attrs, s)
from server_harness import ServerTestCase

NAME_OK = "livesafe_snapshot.csv"


def csv_bytes(rows, seed="x"):
    lines = ["organizationid,username,firstname,lastname,email,mobilephone,groupname"]
    lines += [f"org,{seed}user{i},First{i},Last{i},u{i}@example.org,,Staff" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


class SftpTestCase(ServerTestCase):
    config = "ban_max_failures = 0\nshutdown_grace = 1\n"

    def setUp(self):
        super().setUp()
        self.key = self.tenant_with_key("acme-corp")
        self.start_server()

    def history(self):
        """Every upload the journal recorded for the tenant, oldest first (`intake history`)."""
        return sorted(self.json_of("history", "--tenant", "acme-corp", "--limit", "1000"), key=lambda r: r["id"])

    def completions(self):
        return [r for r in self.history() if r["status"] != "partial"]

    def partials(self):
        return [r for r in self.history() if r["status"] == "partial"]

    def assert_completed(self, expected_contents):
        """Exactly these uploads completed, in order, with these bytes in the archive."""
        done = self.completions()
        self.assertEqual(len(done), len(expected_contents), done)
        for record, content in zip(done, expected_contents):
            with open(record["archive_path"], "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(content).hexdigest())
            self.assertEqual(record["size"], len(content))
            self.assertEqual(record["client_ip"], "127.0.0.1")
            self.assertTrue(record["key_fingerprint"].startswith("SHA256:"))
        return done

    def upload_dir(self, tenant="acme-corp"):
        return os.path.join(self.data_dir, "tenants", tenant, "upload")

    def local(self, name, content):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(content)
        return path

    def sftp_batch(self, commands, *options, key=None, user="acme-corp"):
        batch = self.local("batch.txt", ("\n".join(commands) + "\n").encode())
        return subprocess.run(["sftp", "-b", batch, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                               "-o", "IdentitiesOnly=yes", "-i", key or self.key, "-P", str(self.port), *options,
                               f"{user}@127.0.0.1"], capture_output=True, text=True, timeout=120, cwd=self.tmp)

    def raw(self, key=None, user="acme-corp"):
        return RawSftp(self.login(user, key or self.key))


class OpenSshSftp(SftpTestCase):
    def test_put_in_every_form_and_ls(self):
        contents = [csv_bytes(10, "a"), csv_bytes(20, "b"), csv_bytes(30, "c"), csv_bytes(40, "d")]
        for i, content in enumerate(contents):
            self.local(f"f{i}.csv", content)
        result = self.sftp_batch(["cd upload", f"put f0.csv {NAME_OK}", "ls -l", "cd ~/upload",
                                  f"put -p f1.csv {NAME_OK}", f"put -f f2.csv {NAME_OK}", "ls", "cd /", "ls"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("reports", result.stdout)
        result = self.sftp_batch([f"put f3.csv /upload/{NAME_OK}"], "-B", "262144", "-R", "128")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_completed(contents)
        self.assertEqual(os.listdir(self.upload_dir()), [])

    def test_large_put_and_get_with_big_buffers(self):
        content = os.urandom(3 * 1024 * 1024 + 17)
        self.local("big.csv", content)
        result = self.sftp_batch([f"put big.csv upload/{NAME_OK}"])
        self.assertEqual(result.returncode, 0, result.stderr)
        # -B 262144: OpenSSH's client caps its own messages at 256 KiB, so its WRITEs of 262144 bytes
        # only fit for a file smaller than that (a LiveSafe snapshot of a few thousand rows is).
        small = csv_bytes(2500)
        self.assertLess(len(small), 262144 - 64)
        self.local("small.csv", small)
        result = self.sftp_batch([f"put small.csv upload/{NAME_OK}"], "-B", "262144", "-R", "128")
        self.assertEqual(result.returncode, 0, result.stderr)
        # READs of 262144 bytes are shortened to fit the client's message cap: `get -B 262144` works.
        report = os.path.join(self.data_dir, "tenants", "acme-corp", "reports", "big.txt")
        with open(report, "wb") as f:
            f.write(content)
        result = self.sftp_batch(["get /reports/big.txt got.bin"], "-B", "262144", "-R", "128")
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(self.tmp, "got.bin"), "rb") as f:
            self.assertEqual(f.read(), content)
        self.assert_completed([content, small])

    def test_reput_resumes_a_dropped_upload(self):
        content = csv_bytes(5000)
        raw = self.raw()
        handle = raw.upload(f"/upload/{NAME_OK}", content[:40000])
        raw.channel.get_transport().close()  # dropped mid-upload
        self.wait_for_log("event=upload.partial")
        self.assertEqual(self.completions(), [])
        partial = self.partials()
        self.assertEqual((partial[0]["file"], partial[0]["size"]), (NAME_OK, 40000))
        self.assertEqual(os.path.getsize(os.path.join(self.upload_dir(), NAME_OK)), 40000)
        del handle
        self.local(NAME_OK, content)
        result = self.sftp_batch(["cd upload", f"reput {NAME_OK}"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_completed([content])

    def test_get_from_reports_and_no_reading_uploads(self):
        report = os.path.join(self.data_dir, "tenants", "acme-corp", "reports", "2026-11-21_report.txt")
        with open(report, "w") as f:
            f.write("applied: 10 added\n" * 1000)
        result = self.sftp_batch(["cd reports", "ls", "get 2026-11-21_report.txt got.txt"])
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(self.tmp, "got.txt")) as f:
            self.assertEqual(f.read(), "applied: 10 added\n" * 1000)
        result = self.sftp_batch(["put got.txt /reports/x.txt"])
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Permission denied", result.stderr)


class OtherClients(SftpTestCase):
    def test_paramiko_put_with_confirm(self):
        content = csv_bytes(100)
        transport = self.login("acme-corp", self.key)
        client = paramiko.SFTPClient.from_transport(transport)
        attributes = client.put(self.local("p.csv", content), f"upload/{NAME_OK}", confirm=True)
        self.assertEqual(attributes.st_size, len(content))  # the ghost answers STAT after the file is gone
        self.assertEqual(client.listdir("upload"), [])
        self.assert_completed([content])

    def test_curl(self):
        first, second = csv_bytes(10, "c1"), csv_bytes(11, "c2")
        for url, content in ((f"sftp://127.0.0.1:{self.port}/upload/{NAME_OK}", first),
                             (f"sftp://127.0.0.1:{self.port}/~/upload/{NAME_OK}", second)):
            result = subprocess.run(["curl", "-sS", "--insecure", "--key", self.key, "--pubkey", self.key + ".pub",
                                     "-u", "acme-corp:", "-T", self.local("c.csv", content), url],
                                    capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_completed([first, second])

    def test_lftp(self):
        content = csv_bytes(50)
        self.local("l.csv", content)
        connect = (f"ssh -a -x -i {self.key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
                   "-o UserKnownHostsFile=/dev/null -o BatchMode=yes")
        result = subprocess.run(["lftp", "-e", f"set sftp:connect-program '{connect}'; set net:max-retries 1; "
                                 f"put l.csv -o upload/{NAME_OK}; bye", f"sftp://acme-corp:@127.0.0.1:{self.port}"],
                                capture_output=True, text=True, timeout=60, cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assert_completed([content])

    def test_rclone_copyto(self):
        content = csv_bytes(60)
        self.local("r.csv", content)
        result = subprocess.run(["rclone", "copyto", "r.csv", f":sftp:upload/{NAME_OK}", "--sftp-host", "127.0.0.1",
                                 "--sftp-port", str(self.port), "--sftp-user", "acme-corp", "--sftp-key-file", self.key,
                                 "--retries", "1", "--low-level-retries", "1", "-v"],
                                capture_output=True, text=True, timeout=120, cwd=self.tmp,
                                env={**os.environ, "RCLONE_CONFIG": "/dev/null"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("ERROR", result.stderr)
        self.assert_completed([content])

    def test_winscp_small_file_setstat_right_behind_close(self):
        content = csv_bytes(30)
        raw = self.raw()
        opened = raw.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F, attrs(size=len(content)))
        self.assertEqual(opened.kind, HANDLE, opened)
        self.assertEqual(raw.write(opened.handle, 0, content).code, OK)
        # WinSCP pipelines SETSTAT(name, mtime) behind CLOSE, before CLOSE's reply.
        close_id = raw.send(4, s(opened.handle))
        setstat_id = raw.send(9, s(f"/upload/{NAME_OK}"), attrs(mtime=1700000000))
        replies = [raw.reply(), raw.reply()]
        self.assertEqual([(r.id, r.code) for r in replies], [(close_id, OK), (setstat_id, OK)])
        stat = raw.stat(f"/upload/{NAME_OK}")
        self.assertEqual((stat.kind, stat.size), (ATTRS, len(content)))
        self.assert_completed([content])

    def test_winscp_large_file_via_filepart_with_resume(self):
        content = csv_bytes(8000)
        final, part = f"/upload/{NAME_OK}", f"/upload/{NAME_OK}.filepart"
        raw = self.raw()
        self.assertEqual(raw.stat(final).code, NO_SUCH_FILE)
        self.assertEqual(raw.stat(part).code, NO_SUCH_FILE)
        raw.upload(part, content[:100000])
        raw.channel.get_transport().close()  # the connection drops mid-upload
        self.wait_for_log("event=upload.partial")
        self.assertEqual(self.completions(), [])

        raw = self.raw()
        stat = raw.stat(part)
        self.assertEqual(stat.size, 100000)
        handle = raw.upload(part, b"", flags=WRITE_F)  # resume: no TRUNC
        for offset in range(100000, len(content), 32768):
            self.assertEqual(raw.write(handle, offset, content[offset:offset + 32768]).code, OK)
        self.assertEqual(raw.close(handle).code, OK)
        self.assertEqual(self.completions(), [], "a temporary name only stages")
        self.assertEqual(raw.rename(part, final).code, OK)
        self.assertEqual(raw.setstat(final, attrs(mtime=1700000000)).code, OK)
        self.assert_completed([content])

    def test_rclone_partial_sequence_with_stat_on_a_second_connection(self):
        content = csv_bytes(300)
        partial = f"/upload/{NAME_OK}.a1b2c3d4.partial"
        first, second = self.raw(), self.raw()
        handle = first.upload(partial, content)
        self.assertEqual(first.close(handle).code, OK)
        self.assertEqual(first.setstat(partial, attrs(mtime=1700000000)).code, OK)
        self.assertEqual(first.stat(partial).size, len(content))
        self.assertEqual(first.posix_rename(partial, f"/upload/{NAME_OK}").code, OK)
        stat = second.stat(f"/upload/{NAME_OK}")
        self.assertEqual((stat.kind, stat.size), (ATTRS, len(content)))
        listing = second.call(OPENDIR, s("/upload"))
        names = second.call(READDIR, s(listing.handle))
        self.assertEqual(names.code if names.kind == STATUS else names.names, 1)  # EOF: ghosts are not listed
        self.assertEqual(second.remove(f"/upload/{NAME_OK}").code, OK)  # removing a ghost is fine
        self.assert_completed([content])


class CleanExits(SftpTestCase):
    """OpenSSH 9's scp runs over SFTP and reports the channel's exit status as its own."""

    def ssh_options(self):
        return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-i", self.key]

    def scp(self, *args):
        return subprocess.run(["scp", *self.ssh_options(), "-P", str(self.port), *args],
                              capture_output=True, text=True, timeout=60, cwd=self.tmp)

    def test_scp_upload_and_download_exit_0(self):
        first, second = csv_bytes(10, "scp1"), csv_bytes(11, "scp2")
        result = self.scp(self.local("one.csv", first), f"acme-corp@127.0.0.1:upload/{NAME_OK}")
        self.assertEqual(result.returncode, 0, result.stderr)
        os.makedirs(os.path.join(self.tmp, "named"))
        with open(os.path.join(self.tmp, "named", NAME_OK), "wb") as f:
            f.write(second)
        result = self.scp(os.path.join(self.tmp, "named", NAME_OK), "acme-corp@127.0.0.1:upload/")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_completed([first, second])
        reports = os.path.join(self.data_dir, "tenants", "acme-corp", "reports")
        self.wait_until(lambda: len(os.listdir(reports)) >= 2, 20, lambda: f"reports: {os.listdir(reports)}")
        report = sorted(os.listdir(reports))[0]
        result = self.scp(f"acme-corp@127.0.0.1:reports/{report}", os.path.join(self.tmp, "fetched.txt"))
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(self.tmp, "fetched.txt"), "rb") as fetched, open(os.path.join(reports, report),
                                                                                   "rb") as original:
            self.assertEqual(fetched.read(), original.read())

    def test_scp_refusal_exits_non_zero_and_ssh_subsystem_exits_0(self):
        result = self.scp(self.local("wrong.csv", b"x"), "acme-corp@127.0.0.1:upload/wrong.csv")
        self.assertNotEqual(result.returncode, 0)
        result = subprocess.run(["ssh", *self.ssh_options(), "-p", str(self.port), "-s", "acme-corp@127.0.0.1", "sftp"],
                                input=b"", capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)


class Policy(SftpTestCase):
    def test_wrong_file_name_is_refused_at_open_with_the_expected_name(self):
        raw = self.raw()
        refused = raw.open("/upload/livesafe_snapshot_2026-11-21.csv", WRITE_F | CREAT_F | TRUNC_F)
        # FAILURE, not PERMISSION_DENIED: most clients show the server's text only for FAILURE.
        self.assertEqual(refused.code, FAILURE)
        self.assertIn("livesafe_snapshot.csv", refused.message)
        opened = raw.open("/upload/anything.tmp", WRITE_F | CREAT_F)
        self.assertEqual(opened.kind, HANDLE)
        self.assertEqual(raw.close(opened.handle).code, OK)
        renamed = raw.rename("/upload/anything.tmp", "/upload/other.csv")
        self.assertEqual(renamed.code, FAILURE)
        self.assertIn("livesafe_snapshot.csv", renamed.message)
        self.run_intake("tenant", "set", "acme-corp", "--file-name", "users.csv")
        self.assertEqual(raw.open("/upload/users.csv", WRITE_F | CREAT_F).kind, HANDLE)

    def test_when_the_sink_cannot_take_the_file_the_client_gets_failure_and_the_file_stays(self):
        content = csv_bytes(20)
        archive = os.path.join(self.data_dir, "archive")
        with open(archive, "w") as f:
            f.write("a file where the archive folder should be: nothing can be archived")
        raw = self.raw()
        handle = raw.upload(f"/upload/{NAME_OK}", content)
        refused = raw.close(handle)
        self.assertEqual(refused.code, FAILURE)
        self.assertIn("could not take livesafe_snapshot.csv for processing", refused.message)
        self.assertNotIn(self.data_dir, refused.message)  # server paths stay in the server's log
        with open(os.path.join(self.upload_dir(), NAME_OK), "rb") as f:
            self.assertEqual(f.read(), content)
        part = f"/upload/{NAME_OK}.filepart"
        self.assertEqual(raw.rename(f"/upload/{NAME_OK}", part).code, OK)  # final -> temp: just a rename
        self.assertEqual(raw.posix_rename(part, f"/upload/{NAME_OK}").code, FAILURE)
        self.assertEqual(sorted(os.listdir(self.upload_dir())), [f"{NAME_OK}.filepart"])  # rename undone
        os.remove(archive)
        self.assertEqual(raw.posix_rename(part, f"/upload/{NAME_OK}").code, OK)
        self.assert_completed([content])

    def test_hostile_paths_stay_inside_the_root(self):
        canary = os.path.join(self.data_dir, "canary.txt")
        with open(canary, "w") as f:
            f.write("untouched")
        before = sorted(os.listdir(self.data_dir))
        raw = self.raw()
        for path in ("../../../../etc/passwd", "/upload/../../canary.txt", "/../canary.txt", "/upload/a/b.csv",
                     "/etc/passwd", "upload/" + "x" * 300, "/upload/" + "\u00e9" * 200, "//upload//..//..//tmp"):
            with self.subTest(path=path):
                reply = raw.open(path, WRITE_F | CREAT_F | TRUNC_F)
                self.assertEqual(reply.kind, STATUS, path)
                self.assertNotEqual(reply.code, OK)
        for raw_path in (b"/upload/a\x00b.csv", b"/upload/\xff\xfe.csv", b"/upload/a\x1b[31m.csv"):
            reply = raw.call(3, s(raw_path), struct.pack(">I", WRITE_F | CREAT_F), attrs())
            self.assertEqual((reply.kind, reply.code), (STATUS, FAILURE), raw_path)
        self.assertEqual(raw.call(MKDIR, s("/upload/sub"), attrs()).code, PERMISSION_DENIED)
        self.assertEqual(raw.call(SYMLINK, s("/upload/link"), s("/etc/passwd")).code, PERMISSION_DENIED)
        in_home = raw.open("/x.csv", WRITE_F | CREAT_F)  # the forgotten `cd upload`
        self.assertEqual(in_home.code, FAILURE)
        self.assertIn("upload files into upload/", in_home.message)
        self.assertEqual(raw.open("/upload", WRITE_F | CREAT_F).code, FAILURE)
        # A symlink planted in upload/ (not by a client: they cannot) is never followed.
        os.symlink(canary, os.path.join(self.upload_dir(), "planted.tmp"))
        self.assertEqual(raw.open("/upload/planted.tmp", WRITE_F | TRUNC_F).code, PERMISSION_DENIED)
        for path, expected in (("~", "/"), ("/~/upload", "/upload"), ("~/upload/../reports", "/reports"),
                               (".", "/"), ("../../..", "/")):
            self.assertEqual(raw.call(REALPATH, s(path)).names, [expected])
        with open(canary) as f:
            self.assertEqual(f.read(), "untouched")
        self.assertEqual(sorted(os.listdir(self.data_dir)), before)

    def test_two_tenants_cannot_see_each_other(self):
        other_key = self.tenant_with_key("beta-inc")
        mine = self.raw()
        mine.upload(f"/upload/{NAME_OK}.filepart", b"acme's secret rows")
        theirs = self.raw(key=other_key, user="beta-inc")
        listing = theirs.call(OPENDIR, s("/upload"))
        self.assertEqual(theirs.call(READDIR, s(listing.handle)).code, 1)  # EOF: empty
        for path in (f"/upload/{NAME_OK}.filepart", f"/../acme-corp/upload/{NAME_OK}.filepart",
                     f"/../../tenants/acme-corp/upload/{NAME_OK}.filepart"):
            self.assertEqual(theirs.stat(path).kind, STATUS)
        with self.assertRaises(paramiko.AuthenticationException):
            self.login("beta-inc", self.key)

    def test_size_limit_and_disk_reserve_give_clear_errors(self):
        self.stop_server()
        self.write_config("ban_max_failures = 0\nshutdown_grace = 1\nmax_file_size = 1000\n")
        self.start_server()
        raw = self.raw()
        opened = raw.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F)
        self.assertEqual(raw.write(opened.handle, 0, b"x" * 900).code, OK)
        too_big = raw.write(opened.handle, 900, b"x" * 200)
        self.assertEqual(too_big.code, FAILURE)
        self.assertIn("file too large", too_big.message)
        closed = raw.close(opened.handle)
        self.assertEqual(closed.code, FAILURE, "a CLOSE after a failed WRITE must not say OK")
        self.assertIn("a write failed (file too large", closed.message)
        self.assertEqual(self.completions(), [], "a handle that saw a failed WRITE never completes")
        self.assertIn("a write failed", self.partials()[0]["message"])

        self.stop_server()
        self.write_config('ban_max_failures = 0\nshutdown_grace = 1\ndisk_reserve = "1000T"\n')
        self.start_server()
        content = csv_bytes(10)
        result = self.sftp_batch([f"put {self.local('d.csv', content)} /upload/{NAME_OK}"])
        self.assertNotEqual(result.returncode, 0)
        raw = self.raw()
        opened = raw.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F)
        refused = raw.write(opened.handle, 0, content)
        self.assertEqual(refused.code, FAILURE)
        self.assertIn("low on disk space", refused.message)
        self.assertEqual(self.completions(), [])


class Protocol(SftpTestCase):
    def test_version_extensions_and_limits(self):
        raw = self.raw()
        self.assertEqual(raw.version, 3)
        for name in ("posix-rename@openssh.com", "fsync@openssh.com", "limits@openssh.com", "expand-path@openssh.com",
                     "statvfs@openssh.com"):
            self.assertIn(name, raw.extensions)
        limits = raw.call(EXTENDED, s("limits@openssh.com"))
        self.assertEqual(limits.kind, EXTENDED_REPLY)
        max_packet, max_read, max_write, max_handles = struct.unpack(">QQQQ", limits.body[4:36])
        self.assertGreaterEqual(max_write, 256 * 1024)
        self.assertGreater(max_packet, max_write)
        self.assertGreater(max_handles, 0)
        statvfs = raw.call(EXTENDED, s("statvfs@openssh.com"), s("/upload"))
        self.assertEqual(statvfs.kind, EXTENDED_REPLY)
        self.assertEqual(raw.call(EXTENDED, s("expand-path@openssh.com"), s("~/upload")).names, ["/upload"])

    def test_unknown_requests_get_op_unsupported_and_the_session_goes_on(self):
        raw = self.raw()
        self.assertEqual(raw.call(EXTENDED, s("hardlink@openssh.com"), s("/a"), s("/b")).code, OP_UNSUPPORTED)
        self.assertEqual(raw.call(77, b"whatever").code, OP_UNSUPPORTED)
        self.assertEqual(raw.call(REALPATH, s(".")).names, ["/"])

    def test_oversized_read_is_shortened(self):
        report = os.path.join(self.data_dir, "tenants", "acme-corp", "reports", "big.txt")
        with open(report, "wb") as f:
            f.write(b"r" * (600 * 1024))
        raw = self.raw()
        opened = raw.open("/reports/big.txt", READ_F)
        data = raw.call(READ, s(opened.handle), struct.pack(">QI", 0, 1024 * 1024))
        self.assertEqual(data.kind, DATA)
        self.assertEqual(len(data.data), 256 * 1024 - 1024)
        data = raw.call(READ, s(opened.handle), struct.pack(">QI", 600 * 1024, 10))
        self.assertEqual(data.code, 1)  # EOF

    def test_malformed_packet_ends_the_session_cleanly(self):
        raw = self.raw()
        raw.raw(struct.pack(">BI", 3, 99) + struct.pack(">I", 1000) + b"short")
        with self.assertRaises(EOFError):
            raw.reply()
        self.wait_for_log("event=sftp.malformed")
        self.assertIsNone(self.server.poll())
        self.assertEqual(self.raw().call(REALPATH, s(".")).names, ["/"])

    def test_pipelined_writes_are_answered_in_order(self):
        content = os.urandom(64 * 32768)
        raw = self.raw()
        opened = raw.open(f"/upload/{NAME_OK}", WRITE_F | CREAT_F | TRUNC_F)
        ids = [raw.send(6, s(opened.handle), struct.pack(">Q", offset), s(content[offset:offset + 32768]))
               for offset in range(0, len(content), 32768)]
        replies = [raw.reply() for _ in ids]
        self.assertEqual([r.id for r in replies], ids)
        self.assertTrue(all(r.code == OK for r in replies))
        self.assertEqual(raw.close(opened.handle).code, OK)
        self.assert_completed([content])


class Housekeeping(SftpTestCase):
    def test_abandoned_uploads_are_swept_after_partial_ttl(self):
        self.stop_server()
        old = os.path.join(self.upload_dir(), f"{NAME_OK}.filepart")
        fresh = os.path.join(self.upload_dir(), "other.filepart")
        for path in (old, fresh):
            with open(path, "w") as f:
                f.write("half an upload")
        two_days_ago = time.time() - 2 * 86400
        os.utime(old, (two_days_ago, two_days_ago))
        self.write_config('ban_max_failures = 0\nshutdown_grace = 1\npartial_ttl = "24h"\n')
        self.start_server()
        self.wait_for_log("event=upload.partial_swept")
        self.assertEqual(os.listdir(self.upload_dir()), ["other.filepart"])


class Timeouts(SftpTestCase):
    config = "ban_max_failures = 0\nshutdown_grace = 1\nidle_timeout = 2\n"

    def test_idle_session_is_closed(self):
        raw = self.raw()
        started = time.time()
        with self.assertRaises(EOFError):
            raw.reply()
        self.assertLess(time.time() - started, 6)
        self.wait_for_log("reason=\"idle for 2 s\"")
