"""The two servers a benchmark compares, each private to the run: `intake serve` and OpenSSH's sshd.

Both listen on a free 127.0.0.1 port, keep everything under the run's temporary folder, and are
stopped by `stop()` (the driver calls it from a finally block).
"""
import os
import signal
import socket
import sqlite3
import subprocess
import time

SSH_OPTIONS = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"]
FINAL_STATES = "('applied','rejected','failed','duplicate','held','discarded','validated')"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_banner(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no SSH server answered on 127.0.0.1:{port} within {timeout} s")


def make_key(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", path],
                   check=True, capture_output=True)
    return path


def proc_status(pid):
    """VmRSS, VmHWM (KiB) and thread count of a process, from /proc."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
    return values


def sftp_batch(port, user, key, batch_path, cipher=None, check=True):
    """Runs OpenSSH's sftp client in batch mode; returns the CompletedProcess."""
    command = ["sftp", "-q", "-b", batch_path, "-i", key, "-P", str(port), *SSH_OPTIONS]
    if cipher:
        command += ["-c", cipher]
    command.append(f"{user}@127.0.0.1")
    return subprocess.run(command, capture_output=True, text=True, check=check)


class Process:
    """A server process with its log file; `start` returns once it answers with an SSH banner."""

    def __init__(self):
        self.process = None
        self.log = None

    @property
    def pid(self):
        return self.process.pid

    def launch(self, command, port, log_path):
        self.log = open(log_path, "a")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_banner(port)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.close()


class IntakeServer(Process):
    """`intake serve` on its own data dir; tenants are made with the real CLI."""

    def __init__(self, intake, root, name, settings):
        super().__init__()
        self.intake = intake
        self.name = name
        self.data_dir = os.path.join(root, name)
        self.keys_dir = os.path.join(root, name + "-keys")
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        os.makedirs(self.keys_dir, exist_ok=True)
        with open(os.path.join(self.data_dir, "intake.toml"), "w") as f:
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        self.port = free_port()
        self.log_path = os.path.join(root, name + ".log")

    def cli(self, *args):
        return subprocess.run([self.intake, "--data-dir", self.data_dir, *args], check=True,
                              capture_output=True, text=True).stdout

    def add_tenant(self, tenant, org_id, *options):
        """Creates the tenant (with `options` for `intake tenant add`) and an ed25519 key for it; returns the
        private key's path."""
        key = make_key(os.path.join(self.keys_dir, tenant))
        self.cli("tenant", "add", tenant, "--org-id", org_id, *options)
        self.cli("key", "add", tenant, "--file", key + ".pub")
        return key

    def start(self):
        return self.launch([self.intake, "--data-dir", self.data_dir, "serve", "--listen",
                            f"127.0.0.1:{self.port}"], self.port, self.log_path)

    def db(self):
        return sqlite3.connect(os.path.join(self.data_dir, "intake.db"), timeout=30)

    def wait_concluded(self, count, timeout=600):
        """Waits until `count` ingests have reached a final state; returns them as dicts."""
        deadline = time.monotonic() + timeout
        with self.db() as db:
            db.row_factory = sqlite3.Row
            while True:
                done = db.execute(f"SELECT count(*) FROM ingests WHERE status IN {FINAL_STATES}").fetchone()[0]
                if done >= count:
                    rows = db.execute(f"SELECT i.*, t.name AS tenant FROM ingests i JOIN tenants t "
                                      f"ON t.id = i.tenant_id WHERE status IN {FINAL_STATES} ORDER BY i.id")
                    return [dict(row) for row in rows]
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {done} of {count} ingests concluded within {timeout} s")
                time.sleep(0.02)

    def drop_archive(self):
        """Deletes archived uploads (the throughput runs would otherwise fill the disk)."""
        for folder, _, files in os.walk(os.path.join(self.data_dir, "archive")):
            for name in files:
                os.unlink(os.path.join(folder, name))


class OpenSshServer(Process):
    """A private sshd: own config, host key, authorized_keys and port; internal-sftp; never the system's."""

    def __init__(self, root):
        super().__init__()
        self.dir = os.path.join(root, "openssh")
        self.upload_dir = os.path.join(self.dir, "upload")
        os.makedirs(self.upload_dir, exist_ok=True)
        self.port = free_port()
        self.user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        self.key = make_key(os.path.join(self.dir, "user_key"))
        host_key = make_key(os.path.join(self.dir, "host_ed25519"))
        with open(self.key + ".pub") as src, open(os.path.join(self.dir, "authorized_keys"), "w") as dst:
            dst.write(src.read())
        self.config = os.path.join(self.dir, "sshd_config")
        with open(self.config, "w") as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.dir}/authorized_keys
AllowUsers {self.user}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100:30:200
Subsystem sftp internal-sftp
""")
        self.log_path = os.path.join(root, "sshd.log")

    def start(self):
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
        return self.launch(["/usr/sbin/sshd", "-D", "-e", "-f", self.config], self.port, self.log_path)
