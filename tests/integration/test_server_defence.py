"""No anonymous client can lock customers out: pre-login slots, bans that count attacks and not
health checks, and host-key algorithms for older clients (a real `intake serve`, real clients)."""
import os
import signal
import socket
import subprocess

import paramiko

from server_harness import ServerTestCase, load_private_key


def ssh_options(key):
    return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-i", key]


class PreLoginSlots(ServerTestCase):
    config = ("ban_max_failures = 0\nmax_unauthenticated = 20\nmax_unauthenticated_per_ip = 5\n"
              "max_connections = 500\nmax_connections_per_ip = 100\n")

    def silent_connection(self, source):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", self.port))
        self.addCleanup(sock.close)
        return sock

    def test_silent_connections_from_many_addresses_never_lock_a_customer_out(self):
        key = self.tenant_with_key("acme-corp")
        self.start_server()
        # 50 addresses x 5 silent connections: far more than the 20 pre-login slots.
        for address in range(2, 52):
            for _ in range(5):
                self.silent_connection(f"127.0.0.{address}")
        self.wait_for_log("event=connection.evicted")
        for _ in range(3):
            transport = self.login("acme-corp", key)
            self.assertTrue(transport.is_authenticated())
            sftp = paramiko.SFTPClient.from_transport(transport)
            self.assertEqual(sorted(sftp.listdir("/")), ["reports", "upload"])
            transport.close()
        # One address cannot take more than its share of the slots.
        for _ in range(6):
            self.silent_connection("127.0.0.60")
        self.wait_for_log("ip=127.0.0.60 reason=max_unauthenticated_per_ip")


class StrikesThatCount(ServerTestCase):
    config = "ban_max_failures = 3\nban_window = 600\nban_time = 600\n"

    def setUp(self):
        super().setUp()
        self.key = self.tenant_with_key("acme-corp")
        self.stranger = self.make_key("stranger", "-t", "ed25519")[:-4]
        self.start_server()

    def fail_login(self):
        transport = self.transport()
        with self.assertRaises(paramiko.AuthenticationException):
            transport.auth_publickey("acme-corp", load_private_key(self.stranger))
        transport.close()

    def sessions_ended(self, count):
        """Strikes are counted when a connection ends: wait for its closing line before judging."""
        self.wait_for_count("event=connection.closed", count)

    def send_instead_of_ssh(self, data):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.recv(256)
            sock.sendall(data)
            try:
                sock.recv(256)
            except OSError:
                pass

    def banned(self):
        return any(b["ip"] == "127.0.0.1" for b in self.json_of("bans"))

    def test_bare_connects_and_keyscans_are_not_strikes(self):
        for _ in range(10):
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()  # a TCP health check
        for _ in range(5):
            subprocess.run(["ssh-keyscan", "-p", str(self.port), "127.0.0.1"], capture_output=True, timeout=30)
        self.sessions_ended(15)
        self.assertEqual(self.log().count("strike=yes"), 0)
        self.assertFalse(self.banned())
        self.assertNotIn("event=ban.added", self.log())
        self.assertTrue(self.login("acme-corp", self.key).is_authenticated())

    def test_a_key_login_forgets_the_strikes_of_its_address(self):
        # One connection at a time, each waited for: the server sees a client's close when it sees it,
        # and the order of the strikes and the login is what this test is about.
        for ended, step in enumerate([self.fail_login, self.fail_login,
                                      lambda: self.login("acme-corp", self.key).close(),  # behind the same NAT
                                      self.fail_login, self.fail_login], start=1):
            step()
            self.sessions_ended(ended)
        self.assertFalse(self.banned())
        self.fail_login()
        self.wait_for_log("event=ban.added ip=127.0.0.1")
        self.assertTrue(self.banned())

    def test_garbage_instead_of_ssh_is_a_strike(self):
        for _ in range(3):
            self.send_instead_of_ssh(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.wait_for_log("event=ban.added ip=127.0.0.1")

    def test_gssapi_attempts_are_refused_logged_and_counted(self):
        for _ in range(3):
            transport = self.transport()
            with self.assertRaises(paramiko.BadAuthenticationType):
                transport.auth_none("acme-corp")  # asks for the ssh-userauth service
            request = paramiko.Message()
            request.add_byte(paramiko.common.cMSG_USERAUTH_REQUEST)
            request.add_string("acme-corp")
            request.add_string("ssh-connection")
            request.add_string("gssapi-with-mic")
            request.add_int(1)
            request.add_string(b"\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02")  # Kerberos V5
            transport._send_message(request)
            self.wait_for_log("reason=\"gssapi-with-mic login attempted; only public keys are accepted\"")
            transport.close()
        self.wait_for_log("event=ban.added ip=127.0.0.1")

    def test_client_text_reaches_the_log_escaped_and_the_ban_cleaned(self):
        for _ in range(3):
            self.send_instead_of_ssh(b"SSH-1.5-\x1b[31mred\x07\xff\rtail\r\n")
        self.wait_for_log("event=ban.added ip=127.0.0.1")
        log = self.log()
        self.assertNotIn("\x1b", log)
        self.assertNotIn("\x07", log)
        self.assertIn("(banner: SSH-1.5-\\x1b[31mred\\x07\\xff)", log)  # libssh reads up to the CR
        reason = next(b["reason"] for b in self.json_of("bans") if b["ip"] == "127.0.0.1")
        self.assertIn("SSH-1.5-?[31mred??", reason)  # what `intake bans list` shows a terminal

    def test_algorithm_mismatch_is_logged_and_is_not_a_strike(self):
        for _ in range(5):
            result = subprocess.run(["ssh", *ssh_options(self.key), "-o", "HostKeyAlgorithms=ssh-dss", "-p",
                                     str(self.port), "acme-corp@127.0.0.1", "true"], capture_output=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
        self.sessions_ended(5)
        self.assertEqual(self.log().count("event=handshake.incompatible"), 5)
        self.assertFalse(self.banned())


class HostKeysForOlderClients(ServerTestCase):
    config = "ban_max_failures = 0\n"

    def sftp_with(self, key, host_key_algorithm):
        return subprocess.run(["sftp", *ssh_options(key), "-o", f"HostKeyAlgorithms={host_key_algorithm}", "-P",
                               str(self.port), "acme-corp@127.0.0.1"], input="ls\n", capture_output=True,
                              text=True, timeout=30)

    def test_ecdsa_host_key_and_ssh_rsa_when_allowed(self):
        key = self.tenant_with_key("acme-corp")
        pack = self.run_intake("tenant", "show", "acme-corp").stdout
        self.assertIn("(ECDSA)", pack)
        self.start_server()
        result = self.sftp_with(key, "ecdsa-sha2-nistp256")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotEqual(self.sftp_with(key, "ssh-rsa").returncode, 0)  # SHA-1 signatures: off by default
        self.stop_server()
        self.write_config(self.config + "allow_ssh_rsa_sha1 = true\n")
        self.start_server()
        result = self.sftp_with(key, "ssh-rsa")
        self.assertEqual(result.returncode, 0, result.stderr)


class Reload(ServerTestCase):
    config = "ban_max_failures = 0\nmax_connections_per_ip = 1\n"

    def test_sighup_after_the_config_file_was_deleted_keeps_the_running_settings(self):
        self.start_server()
        os.remove(os.path.join(self.data_dir, "intake.toml"))
        self.server.send_signal(signal.SIGHUP)
        self.wait_for_log("event=config.reload_failed")
        first = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.addCleanup(first.close)
        self.assertTrue(first.recv(64).startswith(b"SSH-2.0-"))
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as second:
            self.assertEqual(second.recv(64), b"")  # max_connections_per_ip = 1 still holds
        self.assertNotIn("event=config.reloaded", self.log())


class Backpressure(ServerTestCase):
    """A client that pipelines READs and leaves the replies unread is not answered beyond a small
    backlog (the server stops taking its requests), and gets every reply once it reads again."""
    config = "allow_read_uploads = true\n"

    def server_memory(self, field):
        with open(f"/proc/{self.server.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise AssertionError(field)

    def test_unread_replies_hold_the_clients_requests_and_nothing_is_lost(self):
        import struct
        from raw_sftp import DATA, READ, READ_F, RawSftp, s
        key = self.tenant_with_key("acme-corp")
        self.start_server()
        content = os.urandom(4 << 20)
        sftp = paramiko.SFTPClient.from_transport(self.login("acme-corp", key))
        with sftp.open("/upload/big.filepart", "wb") as f:  # a temporary name: kept, never ingested
            f.write(content)
        raw = RawSftp(self.login("acme-corp", key))
        handle = raw.open("/upload/big.filepart", READ_F).handle
        chunk, count = 255 * 1024, 1200  # 300 MiB of replies, while the client reads none
        with open(f"/proc/{self.server.pid}/clear_refs", "w") as f:
            f.write("5")  # restart the peak-memory count
        baseline = self.server_memory("VmRSS")
        offsets = [(i * chunk) % (len(content) - chunk) for i in range(count)]
        ids = [raw.send(READ, s(handle), struct.pack(">QI", offset, chunk)) for offset in offsets]
        for request_id, offset in zip(ids, offsets):
            reply = raw.reply()
            self.assertEqual((reply.kind, reply.id), (DATA, request_id))
            self.assertEqual(reply.data, content[offset:offset + chunk])
        # Before, replies queued up to 64 MiB per session and then the session was cut.
        if os.environ.get("INTAKE_SANITIZED") != "1":  # ASan's shadow and quarantine dwarf the figure
            self.assertLess(self.server_memory("VmHWM") - baseline, 16 << 20)
        self.assertNotIn("session.backlog", self.log())

    def test_a_large_folder_is_listed_page_by_page_with_every_name_once(self):
        from raw_sftp import EOF, NAME, OPENDIR, READDIR, RawSftp, s
        key = self.tenant_with_key("acme-corp")
        folder = os.path.join(self.data_dir, "tenants", "acme-corp", "upload")
        expected = {f"part-{n:05d}-{'x' * 30}.tmp" for n in range(3000)}
        for name in expected:
            open(os.path.join(folder, name), "w").close()
        self.start_server()
        raw = RawSftp(self.login("acme-corp", key))
        handles = [raw.call(OPENDIR, s("/upload")).handle for _ in range(63)]  # all open at once
        for handle in handles[:2]:
            names, pages = [], 0
            while True:
                reply = raw.call(READDIR, s(handle))
                if reply.kind != NAME:
                    self.assertEqual(reply.code, EOF)
                    break
                names += reply.names
                pages += 1
            self.assertEqual(len(names), len(expected))
            self.assertEqual(set(names), expected)
            self.assertGreater(pages, 5)  # pages, not the whole folder at once


class Quotas(ServerTestCase):
    """A tenant's upload/ holds at most its quota of files and bytes (unfinished uploads included),
    set per tenant with the CLI; another tenant is not affected."""

    def put(self, key, name, size, user="acme-corp"):
        sftp = paramiko.SFTPClient.from_transport(self.login(user, key))
        with sftp.open(f"/upload/{name}", "wb") as f:
            f.write(os.urandom(size))

    def test_file_and_byte_quotas_refuse_with_the_reason(self):
        key = self.tenant_with_key("acme-corp")
        other = self.tenant_with_key("beta-corp")
        self.run_intake("tenant", "set", "acme-corp", "--upload-quota-files", "2")
        shown = self.json_of("tenant", "show", "acme-corp")["tenant"]
        self.assertEqual((shown["upload_quota_files"], shown["upload_quota_bytes"]), (2, "default"))
        self.start_server()
        self.put(key, "a.filepart", 10)  # temporary names stay in upload/: unfinished uploads
        self.put(key, "b.filepart", 10)
        with self.assertRaises(IOError) as refused:
            self.put(key, "c.filepart", 10)
        self.assertIn("already holds 2 files", str(refused.exception))
        self.put(other, "c.filepart", 10, user="beta-corp")  # another tenant has its own quota

        self.run_intake("tenant", "set", "acme-corp", "--upload-quota-files", "default", "--upload-quota", "100K")
        with self.assertRaises(IOError) as over:
            self.put(key, "big.filepart", 300 * 1024)  # 20 bytes already there
        self.assertIn("upload quota of this account is reached", str(over.exception))
        # What was written before the refusal stays (resumable) and counts, until the tenant removes it.
        with self.assertRaises(IOError):
            self.put(key, "small.filepart", 50 * 1024)
        paramiko.SFTPClient.from_transport(self.login("acme-corp", key)).remove("/upload/big.filepart")
        self.put(key, "small.filepart", 50 * 1024)
        self.assertIn("event=upload.write_failed", self.log())

        bad = self.run_intake("tenant", "set", "acme-corp", "--upload-quota", "lots", expect=None)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("is not a quota", bad.stderr)


class Sessions(ServerTestCase):
    """Staff see who is logged in and can end sessions; disabling a tenant or revoking a key ends the
    sessions it covered within seconds, an upload in flight kept as partial."""
    config = "ban_max_failures = 0\nshutdown_grace = 1\n"

    def wait_closed(self, transport, timeout=15):
        self.wait_until(lambda: not transport.is_active(), timeout, lambda: "the session was not ended")

    def uploading(self, user, key, name):
        transport = self.login(user, key)
        sftp = paramiko.SFTPClient.from_transport(transport)
        upload = sftp.open(f"/upload/{name}", "wb")
        upload.write(b"externalId,firstName\n" * 100)
        upload.flush()
        self.addCleanup(lambda: upload)  # kept open: paramiko closes (completes) a collected file
        return transport

    def test_list_and_kill_one_session_or_a_tenants(self):
        key = self.tenant_with_key("acme-corp")
        other = self.tenant_with_key("beta-corp")
        self.start_server()
        self.assertIn("no session is logged in", self.run_intake("sessions").stdout)
        first = self.uploading("acme-corp", key, "livesafe_snapshot.csv")
        second = self.login("acme-corp", key)
        bystander = self.login("beta-corp", other)
        sessions = self.json_of("sessions")
        self.assertEqual(sorted(s["tenant"] for s in sessions), ["acme-corp", "acme-corp", "beta-corp"])
        self.assertTrue(all(s["ip"] == "127.0.0.1" and "paramiko" in s["client"] for s in sessions))
        self.assertIn("acme-corp", self.run_intake("sessions").stdout)

        first_id = sessions[0]["id"]
        self.assertIn("ended 1 of 1 session(s)", self.run_intake("sessions", "kill", first_id).stdout)
        self.wait_closed(first)
        self.assertTrue(second.is_active())
        self.wait_for_log(f"session={first_id} event=session.ending tenant=acme-corp reason=\"ended by ")
        partial = self.wait_for_history("partial")
        self.assertEqual(partial["file"], "livesafe_snapshot.csv")

        self.assertIn("ended 1 of 1", self.run_intake("sessions", "kill", "acme-corp").stdout)
        self.wait_closed(second)
        self.assertTrue(bystander.is_active())
        self.assertEqual([s["tenant"] for s in self.json_of("sessions")], ["beta-corp"])
        self.assertIn("session.kill", self.run_intake("audit").stdout)

        refused = self.run_intake("sessions", "kill", "nobody", expect=1)
        self.assertIn("no live session has the id 'nobody'", refused.stderr)

    def wait_for_history(self, status, timeout=15):
        return self.wait_until(lambda: next((i for i in self.json_of("history") if i["status"] == status), None),
                               timeout, lambda: f"no {status} ingest in the history: {self.json_of('history')}\n"
                                                f"{self.log()}")

    def test_disabling_a_tenant_or_revoking_a_key_ends_its_sessions(self):
        key = self.tenant_with_key("acme-corp")
        other = self.tenant_with_key("beta-corp")
        self.start_server()
        acme = self.login("acme-corp", key)
        beta = self.uploading("beta-corp", other, "livesafe_snapshot.csv")
        self.run_intake("tenant", "disable", "acme-corp")
        self.wait_closed(acme)
        self.wait_for_log("event=session.ending tenant=acme-corp reason=\"the login is no longer allowed: ")
        self.assertTrue(beta.is_active())

        fingerprint = self.keygen_fingerprint(other + ".pub")
        self.run_intake("key", "revoke", "beta-corp", fingerprint)
        self.wait_closed(beta)
        self.assertEqual(self.json_of("sessions"), [])
        with self.assertRaises(paramiko.AuthenticationException):
            self.login("beta-corp", other)

    def test_sessions_of_a_server_that_died_are_not_listed(self):
        key = self.tenant_with_key("acme-corp")
        self.start_server()
        self.login("acme-corp", key)
        self.assertEqual(len(self.json_of("sessions")), 1)
        self.server.kill()
        self.server.wait()
        self.assertEqual(self.json_of("sessions"), [])
