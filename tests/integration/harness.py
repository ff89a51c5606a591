"""Shared helpers for the integration tests: run the real `intake` binary on a private data dir."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

INTAKE = os.environ.get("INTAKE_BIN", os.path.join(os.path.dirname(__file__), "../../build/cli/intake"))
FIXTURES = os.environ.get("INTAKE_FIXTURES", os.path.join(os.path.dirname(__file__), "../fixtures"))


class IntakeTestCase(unittest.TestCase):
    """Each test gets a fresh temporary directory holding the data dir."""

    def wait_until(self, check, timeout, failure):
        """Polls `check()` until it returns something true, and returns that. After `timeout` seconds the test
        fails with `failure()` (called then, so the message shows the state at the end)."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                self.fail(failure())
            time.sleep(0.05)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="intake-it-")
        self.data_dir = os.path.join(self.tmp, "var")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_intake(self, *args, input=None, expect=0, env=None, data_dir=True):
        command = [INTAKE]
        if data_dir:
            command += ["--data-dir", self.data_dir]
        command += list(args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        result = subprocess.run(command, input=input, capture_output=True, text=True, env=full_env, timeout=120)
        if expect is not None:
            self.assertEqual(result.returncode, expect,
                             f"intake {' '.join(args)} exited {result.returncode}\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def json_of(self, *args, **kwargs):
        result = self.run_intake(*args, "--json", **kwargs)
        return json.loads(result.stdout)

    def make_key(self, name, *keygen_args):
        """A fresh key pair made by ssh-keygen; returns the .pub path."""
        path = os.path.join(self.tmp, name)
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", f"{name}@test", *keygen_args, "-f", path],
                       check=True, capture_output=True)
        return path + ".pub"

    def keygen_fingerprint(self, path, *extra):
        out = subprocess.run(["ssh-keygen", "-l", *extra, "-f", path], check=True, capture_output=True,
                             text=True).stdout
        return out.split()[1]
