"""Onboarding staff's workflow, driven through the real `intake` binary."""
import json
import os
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from harness import FIXTURES, INTAKE, IntakeTestCase


class TenantCommands(IntakeTestCase):
    def test_add_prints_onboarding_pack_and_creates_private_data_dir(self):
        out = self.run_intake("tenant", "add", "acme-corp", "--report-email", "it@acme.example",
                              "--allow-ip", "203.0.113.0/24").stdout
        for needle in ("acme-corp", "port 2222", "IPv4 only", "SHA256:", "known_hosts", "~/upload",
                       "livesafe_snapshot.csv", "organizationid,username,firstname,lastname,email,mobilephone,groupname",
                       "sftp -P 2222 -i ~/.ssh/id_ed25519 acme-corp@", "it@acme.example", "203.0.113.0/24",
                       "No key is registered yet"):
            self.assertIn(needle, out)
        self.assertEqual(stat.S_IMODE(os.stat(self.data_dir).st_mode), 0o700)
        self.assertTrue(os.path.isfile(os.path.join(self.data_dir, "intake.db")))
        for name in ("ssh_host_ed25519_key", "ssh_host_rsa_key", "ssh_host_ecdsa_key"):
            path = os.path.join(self.data_dir, "hostkeys", name)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        for folder in ("upload", "reports"):
            self.assertTrue(os.path.isdir(os.path.join(self.data_dir, "tenants", "acme-corp", folder)))

    def test_add_json_and_show_agree_with_ssh_keygen(self):
        added = self.json_of("tenant", "add", "acme-corp", "--org-id", "ORG-42")
        self.assertEqual(added["tenant"]["org_id"], "ORG-42")
        self.assertEqual(added["tenant"]["profile"], "livesafe")
        self.assertTrue(added["tenant"]["enabled"])
        shown = self.json_of("tenant", "show", "acme-corp")
        pack = shown["onboarding"]
        self.assertEqual(pack["file_names"], ["livesafe_snapshot.csv"])
        self.assertEqual(pack["sample_csv"][1].split(",")[0], "ORG-42")
        self.assertEqual(len(pack["host_keys"]), 3)
        for host_key in pack["host_keys"]:
            self.assertEqual(host_key["fingerprint"], self.keygen_fingerprint(host_key["path"]))
            self.assertTrue(host_key["known_hosts"].startswith("[" + pack["host"] + "]:2222 "))
        self.assertEqual(pack["host_keys"][1]["bits"], 3072)

    def test_default_org_id_is_random_32_hex(self):
        first = self.json_of("tenant", "add", "acme-corp")["tenant"]["org_id"]
        second = self.json_of("tenant", "add", "beta-inc")["tenant"]["org_id"]
        self.assertRegex(first, r"^[0-9a-f]{32}$")
        self.assertNotEqual(first, second)

    def test_config_sets_public_host_and_port(self):
        os.makedirs(self.data_dir)
        with open(os.path.join(self.data_dir, "intake.toml"), "w") as f:
            f.write('listen = "0.0.0.0:2022"\npublic_host = "sftp.example.com"\n')
        pack = self.json_of("tenant", "add", "acme-corp")["onboarding"]
        self.assertEqual((pack["host"], pack["port"]), ("sftp.example.com", 2022))
        self.assertEqual(pack["sftp_command"], "sftp -P 2022 -i ~/.ssh/id_ed25519 acme-corp@sftp.example.com")
        other = os.path.join(self.tmp, "other.toml")
        with open(other, "w") as f:
            f.write('public_host = "files.example.net"\npublic_port = 22\n')
        pack = self.json_of("--config", other, "tenant", "show", "acme-corp")["onboarding"]
        self.assertEqual(pack["sftp_command"], "sftp -i ~/.ssh/id_ed25519 acme-corp@files.example.net")
        with open(other, "w") as f:
            f.write('public_hots = "typo"\n')
        result = self.run_intake("--config", other, "tenant", "list", expect=1)
        self.assertIn("unknown setting 'public_hots'", result.stderr)
        result = self.run_intake("--config", os.path.join(self.tmp, "missing.toml"), "tenant", "list", expect=1)
        self.assertIn("does not exist", result.stderr)

    def test_list_set_disable_enable(self):
        self.run_intake("tenant", "add", "beta-inc")
        self.run_intake("tenant", "add", "acme-corp")
        listed = self.json_of("tenant", "list")
        self.assertEqual([t["name"] for t in listed], ["acme-corp", "beta-inc"])
        self.assertIn("acme-corp", self.run_intake("tenant", "list").stdout)

        changed = self.json_of("tenant", "set", "acme-corp", "--report-email", "a@acme.example",
                               "--report-email", "b@acme.example", "--allow-ip", "198.51.100.7",
                               "--file-name", "users.csv")
        self.assertEqual(changed["tenant"]["report_emails"], ["a@acme.example", "b@acme.example"])
        self.assertEqual(changed["tenant"]["allowed_networks"], ["198.51.100.7/32"])
        self.assertEqual(changed["tenant"]["file_names"], ["users.csv"])
        self.assertEqual(set(changed["changed"]), {"report_emails", "allowed_networks", "file_names"})
        pack = self.json_of("tenant", "show", "acme-corp")["onboarding"]
        self.assertEqual(pack["file_names"], ["users.csv"])

        cleared = self.json_of("tenant", "set", "acme-corp", "--clear-allow-ip", "--clear-file-names")
        self.assertEqual(cleared["tenant"]["allowed_networks"], [])
        self.assertEqual(cleared["tenant"]["file_names"], [])

        out = self.run_intake("tenant", "disable", "acme-corp").stdout
        self.assertIn("refused from now on", out)
        self.assertFalse(self.json_of("tenant", "show", "acme-corp")["tenant"]["enabled"])
        self.assertIn("DISABLED", self.run_intake("tenant", "show", "acme-corp").stdout)
        self.assertIn("nothing changed", self.run_intake("tenant", "disable", "acme-corp").stdout)
        self.run_intake("tenant", "enable", "acme-corp")
        self.assertTrue(self.json_of("tenant", "show", "acme-corp")["tenant"]["enabled"])

    def test_bad_input_is_refused_with_a_clear_message(self):
        cases = [
            (["tenant", "add", "root"], "system account"),
            (["tenant", "add", "Acme"], "lower-case letters"),
            (["tenant", "add", "ab"], "3 to 32 characters"),
            (["tenant", "add", "acme-corp", "--allow-ip", "2001:db8::/32"], "IPv4 only"),
            (["tenant", "add", "acme-corp", "--allow-ip", "10.0.0.1/8"], "did you mean 10.0.0.0/8"),
            (["tenant", "add", "acme-corp", "--report-email", "not-an-address"], "not an e-mail address"),
            (["tenant", "add", "acme-corp", "--profile", "nosuch"], "unknown profile 'nosuch'"),
            (["tenant", "add", "acme-corp", "--file-name", "../x.csv"], "plain ASCII file name"),
            (["tenant", "add", "acme-corp", "--org-id", "a b"], "organisation id"),
            (["tenant", "show", "nobody-here"], "no tenant named 'nobody-here'"),
            (["tenant", "set", "nobody-here", "--clear-allow-ip"], "no tenant named"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                result = self.run_intake(*args, expect=1)
                self.assertIn(message, result.stderr)
                self.assertEqual(result.stdout, "")
        self.run_intake("tenant", "add", "acme-corp")
        self.assertIn("already exists", self.run_intake("tenant", "add", "acme-corp", expect=1).stderr)
        self.assertEqual(len(self.json_of("tenant", "list")), 1)


class KeyCommands(IntakeTestCase):
    def setUp(self):
        super().setUp()
        self.run_intake("tenant", "add", "acme-corp")

    def test_every_key_type_from_ssh_keygen_matches_its_fingerprints(self):
        for name, args in (("ed", ["-t", "ed25519"]), ("ec256", ["-t", "ecdsa", "-b", "256"]),
                           ("ec384", ["-t", "ecdsa", "-b", "384"]), ("ec521", ["-t", "ecdsa", "-b", "521"]),
                           ("rsa", ["-t", "rsa", "-b", "3072"])):
            with self.subTest(key=name):
                pub = self.make_key(name, *args)
                added = self.json_of("key", "add", "acme-corp", "--file", pub)
                self.assertEqual(added["fingerprint"], self.keygen_fingerprint(pub))
                self.assertEqual(added["fingerprint_md5"], self.keygen_fingerprint(pub, "-E", "md5"))
                self.assertEqual(added["state"], "active")
                self.assertEqual(added["comment"], f"{name}@test")
                with open(pub) as f:
                    self.assertEqual(added["public_key"], " ".join(f.read().split()[:2]))
        for fixture in ("sk-ed25519", "sk-ecdsa"):
            with self.subTest(key=fixture):
                pub = os.path.join(FIXTURES, "keys", fixture + ".pub")
                added = self.json_of("key", "add", "acme-corp", "--file", pub)
                self.assertEqual(added["fingerprint"], self.keygen_fingerprint(pub))
        self.assertEqual(len(self.json_of("key", "list", "acme-corp")), 7)
        md5 = self.run_intake("key", "list", "acme-corp", "--md5").stdout
        self.assertIn("MD5:", md5)

    def test_rfc4716_from_stdin_and_file_with_pasted_breaks(self):
        pub = self.make_key("putty", "-t", "rsa", "-b", "3072")
        rfc = subprocess.run(["ssh-keygen", "-e", "-f", pub], check=True, capture_output=True, text=True).stdout
        added = self.json_of("key", "add", "acme-corp", "-", input=rfc)
        self.assertEqual(added["fingerprint"], self.keygen_fingerprint(pub))
        self.assertIn("converted by", added["comment"])

        other = self.make_key("pasted", "-t", "ed25519")
        with open(other) as f:
            kind, data, comment = f.read().split()
        mangled = f"\n   {kind} {data[:30]}\r\n{data[30:]}\n {comment}  \n"
        added = self.json_of("key", "add", "acme-corp", "--comment", "Alice laptop", input=mangled)
        self.assertEqual(added["fingerprint"], self.keygen_fingerprint(other))
        self.assertEqual(added["comment"], "Alice laptop")
        text = self.run_intake("key", "list", "acme-corp").stdout
        self.assertIn("Alice laptop", text)

    def test_bad_keys_are_refused_and_nothing_is_stored(self):
        seed_key = ("ssh-rsa-AAAB3NzaC1yc2EAAAAABGIZTABAQC9OEfhaZC/O+yp0l/Fqssi/HAVMjQbzJnK\n"
                    "PggHJCBHqkxYwSBet926hulYDGL6jbDoEHfMRNIzAAg5adyuVsa2BDc3iPN/7U8oMzL+8\n")
        with open(os.path.join(FIXTURES, "keys", "ed25519.fp")) as f:
            fingerprint = f.read()
        with open(os.path.join(FIXTURES, "keys", "ed25519_private")) as f:
            private = f.read()
        with open(os.path.join(FIXTURES, "keys", "dsa.pub")) as f:
            dsa = f.read()
        with open(os.path.join(FIXTURES, "keys", "rsa1024.pub")) as f:
            short_rsa = f.read()
        for text, message in ((seed_key, "glued together"), (fingerprint, "a fingerprint is not enough"),
                              (private, "this is a private key — send the .pub file"), (dsa, "DSA keys"),
                              (short_rsa, "1024 bits"), ("", "no key given"), ("hello", "not an SSH public key")):
            with self.subTest(message=message):
                result = self.run_intake("key", "add", "acme-corp", input=text, expect=1)
                self.assertIn(message, result.stderr)
        self.assertEqual(self.json_of("key", "list", "acme-corp"), [])
        result = self.run_intake("key", "add", "acme-corp", "--file", os.path.join(self.tmp, "nope.pub"), expect=1)
        self.assertIn("does not exist", result.stderr)
        with open(self.make_key("k", "-t", "ed25519")) as f:
            result = self.run_intake("key", "add", "nobody-here", input=f.read(), expect=1)
        self.assertIn("no tenant named", result.stderr)

    def test_hostile_input_is_refused_or_neutralised_never_a_crash(self):
        pub = self.make_key("weird", "-t", "ed25519")
        with open(pub, "rb") as f:
            kind, data, _ = f.read().split()
        line = kind + b" " + data + b" caf\xe9 \x1b[31mred\n"
        result = subprocess.run([INTAKE, "--data-dir", self.data_dir, "key", "add", "acme-corp", "--json"],
                                input=line, capture_output=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["comment"], "caf? ?[31mred")
        for args, message in (
            ([b"key", b"add", b"acme-corp", b"--file", b"/dev/zero"], "not a regular file"),
            ([b"key", b"add", b"acme-corp", b"--file", self.tmp.encode()], "not a regular file"),
            ([b"tenant", b"set", b"acme-corp", b"--file-name", b"\xff.csv"], "plain ASCII file name"),
            ([b"tenant", b"set", b"acme-corp", b"--report-email", b"b\xff@example.org"], "not an e-mail address"),
        ):
            with self.subTest(args=args):
                result = subprocess.run([INTAKE, "--data-dir", self.data_dir, *args], capture_output=True)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn(message, result.stderr.decode(errors="replace"))
        big = os.path.join(self.tmp, "big.pub")
        with open(big, "w") as f:
            f.write("ssh-ed25519 " + "A" * 70000)
        self.assertIn("far too large", self.run_intake("key", "add", "acme-corp", "--file", big, expect=1).stderr)
        result = self.run_intake("--data-dir", "", "tenant", "list", expect=1, data_dir=False)
        self.assertIn("--data-dir is empty", result.stderr)

    def test_same_key_twice_and_key_of_another_tenant(self):
        pub = self.make_key("shared", "-t", "ed25519")
        self.run_intake("key", "add", "acme-corp", "--file", pub)
        self.assertIn("already has key", self.run_intake("key", "add", "acme-corp", "--file", pub, expect=1).stderr)
        self.run_intake("tenant", "add", "beta-inc")
        result = self.run_intake("key", "add", "beta-inc", "--file", pub, expect=1)
        self.assertIn("already registered to tenant 'acme-corp'", result.stderr)
        self.assertEqual(self.json_of("key", "list", "beta-inc"), [])

    def test_revoke_by_unique_prefix(self):
        first = self.make_key("one", "-t", "ed25519")
        second = self.make_key("two", "-t", "ed25519")
        self.run_intake("key", "add", "acme-corp", "--file", first)
        self.run_intake("key", "add", "acme-corp", "--file", second)
        fingerprint = self.keygen_fingerprint(first)
        result = self.run_intake("key", "revoke", "acme-corp", "SHA256:", expect=1)
        self.assertIn("give the fingerprint", result.stderr)
        self.assertIn("not the MD5 form",
                      self.run_intake("key", "revoke", "acme-corp", self.keygen_fingerprint(first, "-E", "md5"),
                                      expect=1).stderr)
        revoked = self.json_of("key", "revoke", "acme-corp", "sha256:" + fingerprint[7:17])
        self.assertEqual(revoked["fingerprint"], fingerprint)
        self.assertEqual(revoked["state"], "revoked")
        self.assertEqual(revoked["revoked_by"], "onboarding-bot")  # the --actor run_intake adds
        states = {k["fingerprint"]: k["state"] for k in self.json_of("key", "list", "acme-corp")}
        self.assertEqual(states[fingerprint], "revoked")
        self.assertEqual(states[self.keygen_fingerprint(second)], "active")
        self.assertIn("already revoked", self.run_intake("key", "revoke", "acme-corp", fingerprint, expect=1).stderr)
        self.assertIn("no key whose fingerprint", self.run_intake("key", "revoke", "acme-corp", "zzz", expect=1).stderr)
        pack = self.json_of("tenant", "show", "acme-corp")["onboarding"]
        self.assertEqual(pack["active_keys"], 1)

    def run_intake(self, *args, **kwargs):
        # Every change in this class is made by a named actor, so the audit trail can be checked.
        if args and args[0] in ("key", "tenant"):
            args = ("--actor", "onboarding-bot") + args
        return super().run_intake(*args, **kwargs)

    def test_expiry(self):
        pub = self.make_key("temp", "-t", "ed25519")
        result = self.run_intake("key", "add", "acme-corp", "--file", pub, "--expires", "2001-01-01", expect=1)
        self.assertIn("in the past", result.stderr)
        result = self.run_intake("key", "add", "acme-corp", "--file", pub, "--expires", "next week", expect=1)
        self.assertIn("YYYY-MM-DD", result.stderr)
        expires = time.time() + 5
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        added = self.json_of("key", "add", "acme-corp", "--file", pub, "--expires", soon)
        self.assertEqual(added["state"], "active")
        self.assertEqual(added["expires_at"], soon[:-1] + ".000Z")
        time.sleep(max(0, expires - time.time()) + 1)
        self.assertEqual(self.json_of("key", "list", "acme-corp")[0]["state"], "expired")
        self.assertEqual(self.json_of("tenant", "show", "acme-corp")["onboarding"]["active_keys"], 0)
        again = self.run_intake("key", "add", "acme-corp", "--file", pub, expect=1).stderr
        self.assertIn("expired", again)
        self.assertIn("intake key revoke acme-corp", again)


class AuditAndConcurrency(IntakeTestCase):
    def test_every_change_is_audited_with_its_actor(self):
        env = {"SUDO_USER": "", "USER": "carol"}
        self.run_intake("tenant", "add", "acme-corp", env=env)
        pub = self.make_key("k", "-t", "ed25519")
        self.run_intake("--actor", "dave", "key", "add", "acme-corp", "--file", pub)
        self.run_intake("tenant", "set", "acme-corp", "--report-email", "x@acme.example",
                        env={"SUDO_USER": "erin", "USER": "root"})
        self.run_intake("key", "revoke", "acme-corp", self.keygen_fingerprint(pub), "--actor", "frank")
        self.run_intake("tenant", "disable", "acme-corp", env=env)
        events = self.json_of("audit", "--tenant", "acme-corp")
        self.assertEqual([(e["action"], e["actor"]) for e in reversed(events)],
                         [("tenant.add", "carol"), ("key.add", "dave"), ("tenant.set", "erin"),
                          ("key.revoke", "frank"), ("tenant.disable", "carol")])
        self.assertEqual(events[2]["details"]["report_emails"]["to"], ["x@acme.example"])
        self.assertRegex(events[0]["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        # Read-only commands and refused changes leave no trace; creating the host keys was audited.
        self.run_intake("tenant", "show", "acme-corp")
        self.run_intake("tenant", "add", "acme-corp", expect=1)
        everything = self.json_of("audit")
        self.assertEqual(len(everything), 8)
        self.assertEqual(sorted(e["action"] for e in everything if not e["tenant"]), ["hostkey.create"] * 3)

    def test_many_cli_processes_writing_at_once(self):
        self.run_intake("tenant", "add", "seed-tenant")  # creates the database and host keys first
        keys = [self.make_key(f"k{i}", "-t", "ed25519") for i in range(16)]

        def work(i):
            tenant = f"tenant-{i:02d}"
            first = self.run_intake("tenant", "add", tenant, expect=None)
            second = self.run_intake("key", "add", tenant, "--file", keys[i], expect=None)
            return first, second

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(16)))
        for first, second in results:
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertEqual(second.returncode, 0, second.stderr)
        tenants = self.json_of("tenant", "list")
        self.assertEqual(len(tenants), 17)
        self.assertTrue(all(t["active_keys"] == 1 for t in tenants if t["name"] != "seed-tenant"))
        self.assertEqual(len(self.json_of("audit", "--tenant", "tenant-07")), 2)
        self.assertEqual(len(self.json_of("audit", "--limit", "100")), 33 + 3)  # + the three host keys

    def test_a_fresh_data_dir_raced_by_two_processes(self):
        procs = [subprocess.Popen([INTAKE, "--data-dir", self.data_dir, "tenant", "add", name],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name in ("first-one", "second-one")]
        outputs = [p.communicate(timeout=120) for p in procs]
        for proc, (out, err) in zip(procs, outputs):
            self.assertEqual(proc.returncode, 0, err)
        # Both printed the same host keys: exactly one of each was created.
        fingerprints = [sorted(line for line in out.splitlines() if "SHA256:" in line) for out, _ in outputs]
        self.assertEqual(fingerprints[0], fingerprints[1])
        self.assertEqual(sorted(os.listdir(os.path.join(self.data_dir, "hostkeys"))),
                         ["ssh_host_ecdsa_key", "ssh_host_ed25519_key", "ssh_host_rsa_key"])


class CommandLine(IntakeTestCase):
    SUBCOMMANDS = [[], ["tenant"], ["tenant", "add"], ["tenant", "show"], ["tenant", "list"], ["tenant", "set"],
                   ["tenant", "enable"], ["tenant", "disable"], ["key"], ["key", "add"], ["key", "list"],
                   ["key", "revoke"], ["hostkeys"], ["audit"]]

    def test_help_on_every_command_and_version(self):
        for words in self.SUBCOMMANDS:
            with self.subTest(command=words):
                result = self.run_intake(*words, "--help")
                self.assertIn("Usage", result.stdout + result.stderr)
        self.assertRegex(self.run_intake("--version").stdout, r"^intake \d+\.\d+\.\d+")
        self.assertFalse(os.path.exists(self.data_dir), "--help and --version must not touch the disk")

    def test_bad_usage_exits_2(self):
        for args in ([], ["frobnicate"], ["tenant"], ["tenant", "add"], ["key", "list"], ["tenant", "list", "--bogus"],
                     ["audit", "--limit", "0"], ["key", "add", "acme", "stdin"]):
            with self.subTest(args=args):
                result = self.run_intake(*args, expect=2)
                self.assertTrue(result.stderr.strip())

    def test_data_dir_from_environment_and_default(self):
        env_dir = os.path.join(self.tmp, "from-env")
        self.run_intake("tenant", "add", "acme-corp", env={"INTAKE_DATA_DIR": env_dir}, data_dir=False)
        self.assertTrue(os.path.isfile(os.path.join(env_dir, "intake.db")))
        result = subprocess.run([INTAKE, "tenant", "list", "--json"], cwd=self.tmp, capture_output=True, text=True,
                                env={k: v for k, v in os.environ.items() if k != "INTAKE_DATA_DIR"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [])
        self.assertTrue(os.path.isfile(os.path.join(self.tmp, "var", "intake.db")))

    def test_hostkeys_command(self):
        first = self.json_of("hostkeys")
        self.assertEqual([k["created"] for k in first], [True, True, True])
        self.assertEqual([k["algorithm"] for k in first], ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"])
        for key in first:
            self.assertEqual(key["fingerprint"], self.keygen_fingerprint(key["path"]))
        second = self.json_of("hostkeys")
        self.assertEqual([k["created"] for k in second], [False, False, False])
        self.assertEqual([k["fingerprint"] for k in first], [k["fingerprint"] for k in second])
        text = self.run_intake("hostkeys").stdout
        self.assertIn("known_hosts lines:", text)

    def test_a_tenant_is_never_left_without_its_folders(self):
        os.makedirs(self.data_dir)
        open(os.path.join(self.data_dir, "tenants"), "w").close()  # a file where the folder should be
        result = self.run_intake("tenant", "add", "acme-corp", expect=1)
        self.assertIn("cannot create", result.stderr)
        self.assertEqual(self.json_of("tenant", "list"), [])
        os.remove(os.path.join(self.data_dir, "tenants"))
        self.run_intake("tenant", "add", "acme-corp")

    def test_unwritable_data_dir_fails_cleanly(self):
        blocker = os.path.join(self.tmp, "file")
        open(blocker, "w").close()
        result = self.run_intake("--data-dir", blocker, "tenant", "list", expect=1, data_dir=False)
        self.assertIn("not a directory", result.stderr)
