"""The SSH server with real clients: OpenSSH, paramiko, curl (libssh2), against `intake serve`."""
import json
import os
import signal
import socket
import subprocess
import time

import paramiko

from server_harness import ServerTestCase, load_private_key


def ssh_command(port, key, user, *options, command=()):
    return ["ssh", "-v", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-i", key, "-p", str(port), *options,
            f"{user}@127.0.0.1", *command]


class Login(ServerTestCase):
    config = "ban_max_failures = 0\n"  # these tests fail logins on purpose

    def setUp(self):
        super().setUp()
        self.key = self.tenant_with_key("acme-corp")
        self.start_server()

    def audit_reasons(self):
        events = self.json_of("audit", "--tenant", "acme-corp", "--limit", "100")
        return [e["details"].get("reason", "") for e in events if e["action"] == "login.denied"]

    def assert_denied(self, user, key, reason):
        with self.assertRaises(paramiko.AuthenticationException):
            self.login(user, key)
        self.wait_for_log("event=login.denied")
        self.assertTrue(any(reason in line for line in self.log().splitlines() if "login.denied" in line),
                        f"no denial with '{reason}' in:\n{self.log()}")

    def test_openssh_logs_in_with_the_registered_key(self):
        result = subprocess.run(ssh_command(self.port, self.key, "acme-corp", "-s", command=["sftp"]),
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertIn('Authenticated to 127.0.0.1 ([127.0.0.1]:%d) using "publickey"' % self.port, result.stderr)
        self.assertRegex(self.log(), r"event=login.accepted tenant=acme-corp ip=127.0.0.1 key=SHA256:")
        events = self.json_of("audit", "--tenant", "acme-corp")
        accepted = [e for e in events if e["action"] == "login.accepted"]
        self.assertEqual(accepted[0]["actor"], "server")
        self.assertEqual(accepted[0]["details"]["key"], self.keygen_fingerprint(self.key + ".pub"))
        self.assertEqual(accepted[0]["details"]["ip"], "127.0.0.1")
        self.assertRegex(accepted[0]["details"]["session"], r"^[0-9a-f]{12}$")

    def test_paramiko_and_curl_log_in(self):
        transport = self.login("acme-corp", self.key)
        self.assertTrue(transport.is_authenticated())
        # curl (libssh2): a refused login is exit 67; anything else means the key was accepted.
        result = subprocess.run(["curl", "-sS", "--insecure", "--key", self.key, "--pubkey", self.key + ".pub",
                                 "-u", "acme-corp:", f"sftp://127.0.0.1:{self.port}/"],
                                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 67, result.stderr)
        self.assertEqual(self.log().count("event=login.accepted"), 2)
        other = self.make_key("stranger", "-t", "ed25519")[:-4]
        result = subprocess.run(["curl", "-sS", "--insecure", "--key", other, "--pubkey", other + ".pub",
                                 "-u", "acme-corp:", f"sftp://127.0.0.1:{self.port}/"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 67, result.stderr)

    def test_unknown_revoked_expired_key_disabled_tenant_and_wrong_user_are_denied(self):
        stranger = self.make_key("stranger", "-t", "ed25519")[:-4]
        self.assert_denied("acme-corp", stranger, "is not registered for tenant 'acme-corp'")
        self.assert_denied("nobody-here", self.key, "no tenant named 'nobody-here'")

        self.run_intake("tenant", "add", "beta-inc")
        self.assert_denied("beta-inc", self.key, "belongs to tenant 'acme-corp', not 'beta-inc'")

        self.run_intake("tenant", "disable", "acme-corp")
        self.assert_denied("acme-corp", self.key, "tenant 'acme-corp' is disabled")
        self.run_intake("tenant", "enable", "acme-corp")
        self.assertTrue(self.login("acme-corp", self.key).is_authenticated())

        expires = time.time() + 6  # long enough for a slow (sanitizer) build to log in first
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        short = self.make_key("short", "-t", "ecdsa")
        self.run_intake("key", "add", "acme-corp", "--file", short, "--expires", soon)
        self.assertTrue(self.login("acme-corp", short[:-4]).is_authenticated())
        time.sleep(max(0, expires - time.time()) + 1)
        self.assert_denied("acme-corp", short[:-4], "expired at")

        self.run_intake("key", "revoke", "acme-corp", self.keygen_fingerprint(self.key + ".pub"))
        self.assert_denied("acme-corp", self.key, "was revoked at")
        reasons = self.audit_reasons()
        self.assertTrue(any("revoked" in r for r in reasons), reasons)
        self.assertTrue(any("disabled" in r for r in reasons), reasons)

    def test_the_client_learns_nothing_beyond_denied(self):
        stranger = self.make_key("stranger", "-t", "ed25519")[:-4]
        result = subprocess.run(ssh_command(self.port, stranger, "acme-corp", command=["true"]), stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 255)
        self.assertIn("Permission denied (publickey)", result.stderr)
        self.assertNotIn("registered", result.stderr)

    def test_password_and_keyboard_interactive_are_refused(self):
        transport = self.transport()
        with self.assertRaises(paramiko.BadAuthenticationType) as refused:
            transport.auth_password("acme-corp", "secret")
        self.assertEqual(refused.exception.allowed_types, ["publickey"])
        with self.assertRaises(paramiko.BadAuthenticationType):
            transport.auth_interactive_dumb("acme-corp")
        self.wait_for_log("password login attempted")
        self.wait_for_log("keyboard-interactive login attempted")
        self.assertNotIn("secret", self.log())

    def test_allow_list_is_enforced_from_the_next_login_on(self):
        self.run_intake("tenant", "set", "acme-corp", "--allow-ip", "192.0.2.0/24")
        self.assert_denied("acme-corp", self.key, "address 127.0.0.1 is not in the allow-list")
        self.run_intake("tenant", "set", "acme-corp", "--allow-ip", "127.0.0.0/8")
        self.assertTrue(self.login("acme-corp", self.key).is_authenticated())

    def test_exec_shell_and_forwarding_are_refused(self):
        transport = self.login("acme-corp", self.key)
        channel = transport.open_session()
        with self.assertRaises(paramiko.SSHException):
            channel.exec_command("id")
        transport = self.login("acme-corp", self.key)
        channel = transport.open_session()
        with self.assertRaises(paramiko.SSHException):
            channel.invoke_shell()
        transport = self.login("acme-corp", self.key)
        with self.assertRaises(paramiko.ChannelException):
            transport.open_channel("direct-tcpip", ("127.0.0.1", 22), ("127.0.0.1", 5555))
        with self.assertRaises(paramiko.SSHException):
            transport.request_port_forward("127.0.0.1", 0)
        result = subprocess.run(ssh_command(self.port, self.key, "acme-corp", command=["id"]), stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("request.refused request=exec", self.log())

    def test_sha1_rsa_signatures_are_refused_sha2_accepted(self):
        self.run_intake("tenant", "add", "rsa-user")
        pub = self.make_key("rsa", "-t", "rsa", "-b", "3072")
        self.run_intake("key", "add", "rsa-user", "--file", pub)
        key = load_private_key(pub[:-4])
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        transport = paramiko.Transport(sock, disabled_algorithms={"pubkeys": ["rsa-sha2-512", "rsa-sha2-256"]})
        self.addCleanup(transport.close)
        transport.start_client(timeout=10)
        with self.assertRaises(paramiko.AuthenticationException):
            transport.auth_publickey("rsa-user", key)
        self.assertTrue(self.login("rsa-user", pub[:-4]).is_authenticated())

    def test_modern_algorithms_only_and_no_compression(self):
        result = subprocess.run(ssh_command(self.port, self.key, "acme-corp", "-C", "-o", "Ciphers=aes128-cbc", "-s",
                                            command=["sftp"]),
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertIn("no matching cipher found", result.stderr)
        result = subprocess.run(ssh_command(self.port, self.key, "acme-corp", "-C", "-s", command=["sftp"]),
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertIn("compression: none", result.stderr)
        self.assertRegex(result.stderr, r"kex: algorithm: (curve25519-sha256|ecdh-sha2)")

    def test_max_auth_tries_disconnects(self):
        transport = self.transport()
        strangers = [load_private_key(self.make_key(f"s{i}", "-t", "ed25519")[:-4]) for i in range(8)]
        failures = 0
        with self.assertRaises((paramiko.SSHException, EOFError, OSError)):
            for key in strangers:
                try:
                    transport.auth_publickey("acme-corp", key)
                except paramiko.AuthenticationException:
                    failures += 1
        self.assertLessEqual(failures, 6)
        self.wait_for_log("too many authentication attempts")


class Listener(ServerTestCase):
    config = "ban_max_failures = 0\n"

    def test_ipv6_and_bad_addresses_are_refused_at_start(self):
        for listen, message in (("[::1]:2222", "IPv4 only"), ("::1:2222", "IPv4 only"),
                                ("127.0.0.1:99999", "invalid port"), ("127.0.0.1", "ADDRESS:PORT"),
                                ("no-such-host.invalid:2222", "has no IPv4 address")):
            with self.subTest(listen=listen):
                result = self.run_intake("serve", "--listen", listen, expect=1)
                self.assertIn(message, result.stderr)

    def test_nothing_listens_on_ipv6(self):
        self.start_server()
        with self.assertRaises(OSError):
            socket.create_connection(("::1", self.port), timeout=5).close()
        socket.create_connection(("127.0.0.1", self.port), timeout=5).close()

    def test_port_in_use_is_a_clear_error(self):
        self.start_server()
        result = self.run_intake("serve", "--listen", f"127.0.0.1:{self.port}", expect=1)
        self.assertIn("address already in use", result.stderr.lower())

    def test_host_keys_are_created_on_first_start_and_logged(self):
        self.start_server()
        self.assertEqual(self.log().count("event=hostkey.loaded"), 3)
        hostkeys = self.json_of("hostkeys")
        for key in hostkeys:
            self.assertIn(key["fingerprint"], self.log())
        actions = [e["action"] for e in self.json_of("audit")]
        self.assertEqual(actions.count("hostkey.create"), 3)

    def test_silent_client_is_dropped_at_the_login_deadline(self):
        self.write_config("login_grace = 2\nban_max_failures = 0\n")
        self.start_server()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        started = time.time()
        banner = sock.recv(256)
        self.assertTrue(banner.startswith(b"SSH-2.0-"), banner)
        while sock.recv(256):
            pass
        elapsed = time.time() - started
        self.assertGreater(elapsed, 1.5)
        self.assertLess(elapsed, 6)
        self.wait_for_log("event=session.end .*reason=")

    def test_connection_limits(self):
        self.write_config("max_connections_per_ip = 2\nban_max_failures = 0\n")
        self.start_server()
        held = [socket.create_connection(("127.0.0.1", self.port), timeout=5) for _ in range(2)]
        for sock in held:
            self.assertTrue(sock.recv(64).startswith(b"SSH-2.0-"))
        third = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.assertEqual(third.recv(64), b"")  # closed at once, no banner
        self.wait_for_log("reason=max_connections_per_ip")
        for sock in held + [third]:
            sock.close()

    def test_sighup_reloads_settings_without_dropping_sessions(self):
        key = self.tenant_with_key("acme-corp")
        self.start_server()
        transport = self.login("acme-corp", key)
        self.write_config("login_grace = 1\nban_max_failures = 0\n")
        self.server.send_signal(signal.SIGHUP)
        self.wait_for_log("event=config.reloaded")
        self.assertTrue(transport.is_active())
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        started = time.time()
        sock.recv(256)
        while sock.recv(256):
            pass
        self.assertLess(time.time() - started, 4)
        self.write_config("login_grace = 'soon'\n")
        self.server.send_signal(signal.SIGHUP)
        self.wait_for_log("event=config.reload_failed")
        self.assertIsNone(self.server.poll())


class Bans(ServerTestCase):
    config = "ban_max_failures = 3\nban_window = 60\nban_time = 3\nban_max_time = 60\n"

    def fail_login(self):
        """One connection that ends without logging in: one failure for the address. (Probing with
        connection_refused() counts too, so the last of a series may already meet the ban.)"""
        try:
            transport = self.transport()
            try:
                transport.auth_publickey("acme-corp", load_private_key(self.stranger))
            except paramiko.AuthenticationException:
                pass
            transport.close()
        except (paramiko.SSHException, EOFError, OSError):
            pass

    def connection_refused(self):
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            return True
        with sock:
            sock.settimeout(5)
            return sock.recv(64) == b""

    def test_ban_triggers_expires_and_can_be_cleared(self):
        self.tenant_with_key("acme-corp")
        self.stranger = self.make_key("stranger", "-t", "ed25519")[:-4]
        self.start_server()
        for _ in range(3):
            self.fail_login()
        self.wait_for_log("event=ban.added ip=127.0.0.1")
        self.assertTrue(self.connection_refused())
        bans = self.json_of("bans")
        self.assertEqual([b["ip"] for b in bans], ["127.0.0.1"])
        self.assertEqual(bans[0]["strikes"], 1)
        time.sleep(3.5)
        self.assertFalse(self.connection_refused())
        self.assertEqual(self.json_of("bans"), [])

        # The second ban lasts twice as long; `intake bans clear` lifts it at once.
        for _ in range(3):
            self.fail_login()
        self.wait_for_log("strikes=2")
        self.assertEqual(self.json_of("bans")[0]["strikes"], 2)
        self.assertTrue(self.connection_refused())
        self.assertIn("cleared 1 ban", self.run_intake("bans", "clear", "127.0.0.1").stdout)
        self.assertFalse(self.connection_refused())
        self.assertIn("is not banned", self.run_intake("bans", "clear", "127.0.0.1", expect=1).stderr)
        self.assertIn("ban.clear", [e["action"] for e in self.json_of("audit")])

    def test_safelisted_addresses_are_never_banned(self):
        self.write_config(self.config + 'ban_safelist = ["127.0.0.0/8"]\n')
        self.tenant_with_key("acme-corp")
        self.stranger = self.make_key("stranger", "-t", "ed25519")[:-4]
        self.start_server()
        for _ in range(5):
            self.fail_login()
        self.assertFalse(self.connection_refused())
        self.assertNotIn("ban.added", self.log())


class Lifecycle(ServerTestCase):
    config = "ban_max_failures = 0\nshutdown_grace = 2\n"

    def test_sigterm_stops_cleanly_and_closes_sessions_after_the_grace(self):
        key = self.tenant_with_key("acme-corp")
        self.start_server()
        transport = self.login("acme-corp", key)
        transport.open_session()
        started = time.time()
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=20), 0)
        self.assertLess(time.time() - started, 10)
        log = self.log()
        self.assertIn("event=shutdown.begin signal=TERM", log)
        self.assertIn("event=shutdown.done sessions_left=0", log)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()

    def test_a_thousand_rapid_connects_leak_no_descriptors_or_threads(self):
        self.start_server()
        pid = self.server.pid

        def counts():
            return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))

        def settle(expected, timeout=30):
            deadline = time.time() + timeout
            while time.time() < deadline and counts() != expected:
                time.sleep(0.2)
            return counts()

        socket.create_connection(("127.0.0.1", self.port)).close()
        time.sleep(1)
        before = counts()
        for i in range(1000):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            if i % 2:
                sock.recv(64)  # half of them wait for the banner, half leave at once
            sock.close()
        after = settle(before)
        self.assertEqual(after, before, f"descriptors/threads before {before}, after {after}")
        self.assertIsNone(self.server.poll())

    def test_started_as_root_with_user_it_drops_privileges(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        import pwd
        nobody = pwd.getpwnam("nobody")
        key = self.tenant_with_key("acme-corp")
        self.run_intake("hostkeys")
        os.chmod(self.tmp, 0o755)
        for root, dirs, files in os.walk(self.data_dir):
            for name in dirs + files:
                os.chown(os.path.join(root, name), nobody.pw_uid, nobody.pw_gid)
        os.chown(self.data_dir, nobody.pw_uid, nobody.pw_gid)
        self.start_server("--user", "nobody")
        self.wait_for_log("event=privileges.dropped user=nobody")
        with open(f"/proc/{self.server.pid}/status") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        self.assertEqual(set(uids), {str(nobody.pw_uid)})
        self.assertTrue(self.login("acme-corp", key).is_authenticated())

    def test_started_as_root_without_user_it_warns(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        self.start_server()
        self.assertIn("event=running_as_root", self.log())

    def test_json_log_format(self):
        self.write_config(self.config + 'log_format = "json"\n')
        self.start_server(expect_listening=False)
        self.wait_for_log('"event":"server.listening"')
        for line in self.log().splitlines():
            record = json.loads(line)
            self.assertIn("time", record)
            self.assertIn("session", record)
