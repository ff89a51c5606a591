"""A real `intake serve` on a free loopback port, for the tests that need the server."""
import os
import re
import signal
import socket
import subprocess

import paramiko

from harness import INTAKE, IntakeTestCase


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerTestCase(IntakeTestCase):
    """Starts `intake serve` per test (with `config` in DATA_DIR/intake.toml) and stops it after."""

    config = ""

    def setUp(self):
        super().setUp()
        self.server = None
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        self.write_config(self.config)

    def write_config(self, text):
        with open(os.path.join(self.data_dir, "intake.toml"), "w") as f:
            f.write(text)

    def start_server(self, *extra, expect_listening=True):
        self.port = free_port()
        self.log_path = os.path.join(self.tmp, f"serve-{self.port}.log")
        self.log_file = open(self.log_path, "w")
        self.server = subprocess.Popen(
            [INTAKE, "--data-dir", self.data_dir, "serve", "--listen", f"127.0.0.1:{self.port}", *extra],
            stdout=self.log_file, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_server)
        if expect_listening:
            self.wait_for_log("event=server.listening")
        return self.server

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if not self.log_file.closed:
            self.log_file.close()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for_log(self, pattern, timeout=15):
        def found():
            if self.server.poll() is not None:
                self.fail(f"server exited {self.server.returncode} before '{pattern}':\n{self.log()}")
            return re.search(pattern, self.log())
        self.wait_until(found, timeout, lambda: f"no '{pattern}' in the server log after {timeout}s:\n{self.log()}")

    def wait_for_count(self, needle, count, timeout=30):
        """Waits until `needle` appears `count` times in the server log (e.g. that many sessions ended)."""
        self.wait_until(lambda: self.log().count(needle) >= count, timeout,
                        lambda: f"fewer than {count} '{needle}' in the server log after {timeout}s:\n{self.log()}")

    def wait_final_ingests(self, tenant, count, timeout=15):
        """Polls `intake history` until `tenant` has `count` concluded uploads whose report files and e-mails
        are no longer pending in the outbox; returns its history, oldest first."""
        def settled(ingest):
            return (ingest["status"] not in ("queued", "processing") and
                    all(d["status"] != "pending" for d in ingest["deliveries"]))

        def history():
            ingests = self.json_of("history", "--tenant", tenant, "--limit", "1000")
            done = [h for h in ingests if settled(h)]
            return sorted(ingests, key=lambda h: h["id"]) if len(done) >= count else None
        return self.wait_until(history, timeout, lambda: f"not {count} final ingests of {tenant} after {timeout}s: "
                                                         f"{self.json_of('history', '--tenant', tenant)}")

    def transport(self):
        """A paramiko transport past the key exchange, not yet authenticated."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        transport = paramiko.Transport(sock)
        transport.start_client(timeout=10)
        self.addCleanup(transport.close)
        return transport

    def login(self, user, key_path):
        transport = self.transport()
        transport.auth_publickey(user, load_private_key(key_path))
        return transport

    def tenant_with_key(self, name="acme-corp", key_type=("-t", "ed25519")):
        self.run_intake("tenant", "add", name)
        pub = self.make_key(f"{name}-key", *key_type)
        self.run_intake("key", "add", name, "--file", pub)
        return pub[:-4]


def load_private_key(path):
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key_file(path)
        except paramiko.SSHException:
            continue
    raise ValueError(f"cannot load {path}")
