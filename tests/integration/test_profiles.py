"""The Cosafe and SAP profiles end to end: a tenant set up for the profile, a real client uploads the
vendor's file, and support reads the directory and the report back (the golden corpus in
tests/profiles covers every rule; these cases prove the same engine runs behind `intake serve`)."""
import os
import re
import sqlite3
import subprocess

from server_harness import ServerTestCase


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tutorial_profile():
    """The TOML of docs/PROFILES.md's tutorial, as a reader would copy it."""
    with open(os.path.join(REPO, "docs", "PROFILES.md"), encoding="utf-8") as f:
        text = f.read()
    found = re.search(r"<!-- tutorial profile:[^>]*-->\n```toml\n(.*?)```", text, re.S)
    assert found, "docs/PROFILES.md lost its tutorial profile"
    return found.group(1)


class ProfileUploads(ServerTestCase):
    config = "ban_max_failures = 0\nshutdown_grace = 1\n"

    def setUp(self):
        super().setUp()
        self.start_server()

    def tenant(self, name, *options):
        self.run_intake("tenant", "add", name, *options)
        pub = self.make_key(f"{name}-key", "-t", "ed25519")
        self.run_intake("key", "add", name, "--file", pub)
        return pub[:-4]

    def sftp_put(self, tenant, key, name, content):
        """OpenSSH's own sftp client, as a customer's cron job would run it."""
        local = os.path.join(self.tmp, name)
        with open(local, "wb") as f:
            f.write(content)
        self.sftp_batch(tenant, key, f"put {local} upload/{name}\n")

    def sftp_get(self, tenant, key, path):
        """Downloads `path` (say reports/NAME) as the customer would; returns its text."""
        local = os.path.join(self.tmp, "downloaded")
        self.sftp_batch(tenant, key, f"get {path} {local}\n")
        with open(local, encoding="utf-8") as f:
            return f.read()

    def sftp_batch(self, tenant, key, commands):
        batch = os.path.join(self.tmp, "batch.txt")
        with open(batch, "w") as f:
            f.write(commands)
        result = subprocess.run(["sftp", "-b", batch, "-o", "StrictHostKeyChecking=no", "-o",
                                 "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-i", key, "-P",
                                 str(self.port), f"{tenant}@127.0.0.1"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)

    def assert_nowhere_on_disk(self, secrets):
        """No file of the data dir (database, WAL, archive, reports, outbox) and not the log holds any of them."""
        paths = [os.path.join(folder, name) for folder, _, files in os.walk(self.data_dir) for name in files]
        for path in paths + [self.log_path]:
            with open(path, "rb") as f:
                content = f.read()
            for secret in secrets:
                self.assertNotIn(secret, content, path)

    def wait_final(self, tenant, count):
        return [h for h in self.wait_final_ingests(tenant, count) if h["status"] not in ("queued", "processing")]

    def test_cosafe_file_per_account_groups_adoption_and_utf16(self):
        key = self.tenant("cosafe-co", "--profile", "cosafe", "--file-name", "scranton.csv",
                          "--file-name", "akron.csv")
        pack = self.json_of("tenant", "show", "cosafe-co")["onboarding"]
        self.assertEqual([f["name"] for f in pack["files"]], ["scranton.csv", "akron.csv"])
        self.assertIn("UniqueID", pack["sample_csv"][0])
        self.assertNotIn("organizationid", self.run_intake("tenant", "show", "cosafe-co").stdout)
        self.run_intake("users", "add", "cosafe-co", "pam-by-hand", "--display-name", "Pam",
                        "--email", "pam@example.com")
        header = "UniqueID,Name,Mail,Title,TelephoneNumber,SecondaryTelephoneNumber,TimeStamp,Groups,Skip\n"
        scranton = (header +
                    'EMP0000001,Michael Scott,michael@example.com,Manager,+15705550100,+15705550101,2026-11-22,'
                    '"Scranton branch, Akron Branch",\n'
                    'EMP0000002,Pam Beesly,pam@example.com,,,,2026-11-22,Scranton branch,\n')
        # Windows exports UTF-16 with a byte-order mark ("Unicode text").
        self.sftp_put("cosafe-co", key, "scranton.csv", b"\xff\xfe" + scranton.encode("utf-16-le"))
        self.sftp_put("cosafe-co", key, "akron.csv",
                      (header + "EMP0000003,Stanley Hudson,stanley@example.com,,,,2026-11-22,Akron Branch,\n").encode())
        first, second = self.wait_final("cosafe-co", 2)
        self.assertEqual(first["status"], "applied", first["message"])
        report = self.json_of("report", first["id"])
        self.assertEqual(report["profile"], "cosafe")
        self.assertEqual(report["entities"]["users"]["adopted"], 1)
        self.assertEqual(report["entities"]["memberships"]["added"], 3)
        users = {u["username"]: u for u in self.json_of("users", "cosafe-co")}
        self.assertEqual(set(users), {"EMP0000001", "EMP0000002", "EMP0000003"})  # Pam adopted, key from the file
        self.assertEqual(users["EMP0000001"]["groups"], ["Akron Branch", "Scranton branch"])
        self.assertEqual([c["type"] for c in users["EMP0000001"]["contacts"]], ["primary", "secondary"])
        self.assertEqual(users["EMP0000002"]["origin_file"], "scranton.csv")

        # The next scranton.csv drops the secondary phone: the file is authoritative. Akron's user stays.
        self.sftp_put("cosafe-co", key, "scranton.csv", (header +
                      'EMP0000001,Michael Scott,michael@example.com,Manager,+15705550100,,2026-11-22,'
                      '"Scranton branch, Akron Branch",\n').encode())
        third = self.wait_final("cosafe-co", 3)[-1]
        self.assertEqual((third["counts"]["updated"], third["counts"]["removed"]), (1, 1), third)
        users = {u["username"]: u for u in self.json_of("users", "cosafe-co")}
        self.assertEqual(set(users), {"EMP0000001", "EMP0000003"})
        self.assertEqual([c["type"] for c in users["EMP0000001"]["contacts"]], ["primary"])
        text = self.run_intake("report", third["id"]).stdout
        self.assertIn("contact:phone:secondary '+15705550101' -> ''", text)
        self.assertIn("EMP0000002: removed", text)

    def test_sap_upsert_groups_must_exist(self):
        key = self.tenant("sap-co", "--profile", "sap-ias")
        self.run_intake("groups", "add", "sap-co", "Employees")
        # Ten good rows and one naming a group nobody created (under the 10% invalid-row limit).
        content = ("status,loginName,mail,firstName,lastName,language,groups,costCenter\n"
                   "active,anna,anna@example.com,Anna,Schmidt,de,Employees,4711\n"
                   "active,bernd,bernd@example.com,Bernd,Meyer,en-US,Contractors,4712\n" +
                   "".join(f"active,u{i},u{i}@example.com,U,Ser{i},,Employees,1\n" for i in range(9))).encode()
        self.sftp_put("sap-co", key, "sap_users.csv", content)
        ingest = self.wait_final("sap-co", 1)[0]
        self.assertEqual(ingest["status"], "applied", ingest["message"])
        self.assertEqual((ingest["counts"]["added"], ingest["counts"]["invalid"]), (10, 1))
        text = self.run_intake("report", ingest["id"]).stdout
        self.assertIn("group 'Contractors' does not exist", text)
        self.assertIn("Columns not used: costCenter", text)
        groups = {g["id"]: g for g in self.json_of("groups", "sap-co")}
        self.assertEqual((groups["Employees"]["members"], groups["Employees"]["source"]), (10, "manual"))
        self.assertNotIn("Contractors", groups)

        self.sftp_put("sap-co", key, "sap_users.csv", b"status,mail,lastName\ninactive,anna@example.com,Schmidt\n")
        second = self.wait_final("sap-co", 2)[-1]
        self.assertEqual((second["counts"]["updated"], second["counts"]["removed"]), (1, 0))
        anna = self.json_of("users", "sap-co", "--search", "anna@")[0]
        self.assertEqual((anna["account_status"], anna["language"], anna["login_name"]), ("inactive", "de", "anna"))

    def test_validation_mode_then_sync_with_national_phone_numbers_and_a_results_file(self):
        """Onboarding as Cosafe describes it: the tenant's first files are only checked ("we tell you if the
        file is OK"), then sync is enabled. Its customer writes US numbers the national way."""
        key = self.tenant("valid-co", "--profile", "cosafe", "--file-name", "staff.csv", "--mode", "validate",
                          "--phone-region", "us")
        pack = self.run_intake("tenant", "show", "valid-co").stdout
        self.assertIn("VALIDATION", pack)
        self.assertIn("national numbers of US", pack)
        header = "UniqueID,Name,Mail,Title,TelephoneNumber,SecondaryTelephoneNumber,TimeStamp,Groups,Skip\n"
        content = (header +
                   "EMP0000001,Michael Scott,michael@example.com,Manager,(570) 555-0100,,2026-11-22,Scranton,\n"
                   "=cmd|' /C calc'!A0,Mallory,mallory@example.com,,,,2026-11-22,,\n"
                   "EMP0000002,Dwight Schrute,,,,,2026-11-22,,\n" +
                   "".join(f"EMP00001{i:02},User {i},u{i}@example.com,,570-555-01{i:02},,2026-11-22,Scranton,\n"
                           for i in range(10))).encode()
        self.sftp_put("valid-co", key, "staff.csv", content)
        validated = self.wait_final("valid-co", 1)[0]
        self.assertEqual(validated["status"], "validated", validated)
        self.assertIn("nothing was applied", validated["message"])
        self.assertEqual(self.json_of("users", "valid-co"), [])  # nothing applied
        report = self.json_of("report", validated["id"])
        self.assertEqual(report["counts"]["added"], 12)
        self.assertEqual(report["counts"]["invalid"], 1)
        results_name = report["results_file"]
        self.assertTrue(results_name.endswith("_staff.csv.results.csv"), results_name)
        lines = self.sftp_get("valid-co", key, "reports/" + results_name).splitlines()
        self.assertEqual(lines[0], "line,UniqueID,result,reason")
        self.assertEqual(lines[1], "2,EMP0000001,would be added,")
        # A spreadsheet shows the formula in the key cell as text.
        self.assertEqual(lines[2], "3,'=cmd|' /C calc'!A0,would be added,")
        self.assertEqual(lines[3], "4,EMP0000002,invalid,Mail is empty; it is required")
        self.assertEqual(len(lines), 14)  # the header and 13 rows
        self.assertIn("Every row's result: reports/" + results_name,
                      self.run_intake("report", validated["id"]).stdout)

        # Sync enabled: the same file applies (it was never applied, so it is no duplicate).
        self.run_intake("tenant", "set", "valid-co", "--mode", "apply")
        self.sftp_put("valid-co", key, "staff.csv", content)
        applied = self.wait_final("valid-co", 2)[-1]
        self.assertEqual(applied["status"], "applied", applied)
        users = {u["username"]: u for u in self.json_of("users", "valid-co")}
        self.assertEqual(len(users), 12)
        self.assertEqual([c["value"] for c in users["EMP0000001"]["contacts"]], ["+15705550100"])
        applied_results = self.json_of("report", applied["id"])["results_file"]
        self.assertEqual(self.sftp_get("valid-co", key, "reports/" + applied_results).splitlines()[1],
                         "2,EMP0000001,added,")

        # Support may add a user by hand with a national number too; a bad region is refused with advice.
        self.run_intake("users", "add", "valid-co", "pam", "--email", "pam@example.com", "--phone", "570 555 0199")
        pam = self.json_of("users", "valid-co", "--search", "pam@")[0]
        self.assertEqual(pam["contacts"][0]["value"], "+15705550199")
        refused = self.run_intake("tenant", "set", "valid-co", "--phone-region", "USA", expect=1)
        self.assertIn("two-letter ISO 3166", refused.stderr)
        history = self.run_intake("history", "--tenant", "valid-co", "--status", "validated").stdout
        self.assertIn(validated["id"], history)

    def test_limeade_four_files_in_order_with_passwords_that_verify_and_are_nowhere_on_disk(self):
        """Limeade ONE's four files through a real upload, the directory checked after each: users with
        initial passwords (hashed with Argon2id, the plain text on no disk and in no log), a deletion,
        groups created, renamed and deleted, and the membership of the groups named reset."""
        key = self.tenant("limeade-co", "--profile", "limeade", "--roles", "default,manager")
        pack = self.json_of("tenant", "show", "limeade-co")["onboarding"]
        self.assertEqual([f["name"] for f in pack["files"]],
                         ["userstosync.csv", "userstodelete.csv", "groups.csv", "groupmembers.csv"])
        self.assertTrue(all(f["sample"] for f in pack["files"]))
        passwords = {"kelly@example.com": "@StrongPassword!-kelly", "sam@example.com": "Tr1cky,\"quoted\" one"}
        userstosync = ("Firstname,lastname,email,role,language,password,sendemail,AltEmail,Phone\n"
                       "Kelly,Gault,kelly@example.com,default,en,@StrongPassword!-kelly,TRUE,kg@example.org,555-555-5555\n"
                       'Sam,Reyes,sam@example.com,manager,en,"Tr1cky,""quoted"" one",FALSE,,\n'
                       "Ann,Lee,ann@example.com,,,,,,\n"
                       "Bo,Ek,bo@example.com,admin,,,,,\n" +  # not one of the tenant's roles: invalid
                       "".join(f"U{i},Ser,u{i}@example.com,,,,,,\n" for i in range(8)))
        self.sftp_put("limeade-co", key, "userstosync.csv", userstosync.encode())
        first = self.wait_final("limeade-co", 1)[0]
        self.assertEqual(first["status"], "applied", first["message"])
        self.assertEqual((first["counts"]["added"], first["counts"]["invalid"]), (11, 1))
        report = self.run_intake("report", first["id"]).stdout
        self.assertIn("Read as:     userstosync.csv: upsert", report)
        self.assertIn("'admin' is not one of this account's roles (default, manager)", report)
        users = {u["username"]: u for u in self.json_of("users", "limeade-co")}
        self.assertEqual(users["sam@example.com"]["attributes"], {"role": "manager", "sendemail": "FALSE"})
        db = sqlite3.connect(os.path.join(self.data_dir, "intake.db"))
        hashes = dict(db.execute("SELECT external_id, password_hash FROM directory_users WHERE password_hash IS NOT NULL"))
        self.assertEqual(set(hashes), set(passwords))
        import nacl.pwhash  # Debian's python3-nacl: libsodium's own verifier
        for user, password in passwords.items():
            self.assertTrue(hashes[user].startswith("$argon2id$v=19$m=19456,t=2,p=1$"), hashes[user])
            self.assertTrue(nacl.pwhash.verify(hashes[user].encode(), password.encode()))
            with self.assertRaises(nacl.exceptions.InvalidkeyError):
                nacl.pwhash.verify(hashes[user].encode(), b"not the password")
        # The archived copy keeps everything but the passwords; no plain text anywhere under the data dir.
        archived = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.data_dir, "archive")) for f in fs]
        self.assertEqual(len(archived), 1)
        with open(archived[0], encoding="utf-8") as f:
            self.assertIn("Kelly,Gault,kelly@example.com,default,en,,TRUE,kg@example.org,555-555-5555", f.read())

        self.sftp_put("limeade-co", key, "userstodelete.csv", b"ann@example.com\nnobody@example.com\n")
        second = self.wait_final("limeade-co", 2)[-1]
        self.assertEqual(second["status"], "applied", second["message"])
        self.assertEqual((second["counts"]["removed"], second["counts"]["skipped"]), (1, 1))
        self.assertNotIn("ann@example.com", {u["username"] for u in self.json_of("users", "limeade-co")})
        self.assertIn("there is no user 'nobody@example.com'; nothing to delete",
                      self.run_intake("report", second["id"]).stdout)

        self.sftp_put("limeade-co", key, "groups.csv", b"U,G1,Sales\nU,G2,Support\nU,G3,Temporary\nD,G3\n")
        self.sftp_put("limeade-co", key, "groupmembers.csv",
                      b"G1,kelly@example.com\nG1,sam@example.com\nG2,sam@example.com\nG1,stranger@example.com\n")
        third, fourth = self.wait_final("limeade-co", 4)[-2:]
        self.assertEqual(third["status"], "applied", third["message"])
        self.assertEqual({g["id"]: g["name"] for g in self.json_of("groups", "limeade-co")},
                         {"G1": "Sales", "G2": "Support"})
        self.assertEqual((fourth["status"], fourth["counts"]["invalid"]), ("rejected", 1), fourth)  # 1 of 4 > 10%
        self.run_intake("tenant", "set", "limeade-co", "--auto-create-users", "on")
        self.sftp_put("limeade-co", key, "groupmembers.csv",
                      b"G1,kelly@example.com\nG1,sam@example.com\nG2,sam@example.com\nG1,stranger@example.com\n")
        fifth = self.wait_final("limeade-co", 5)[-1]
        self.assertEqual(fifth["status"], "applied", fifth["message"])
        users = {u["username"]: u for u in self.json_of("users", "limeade-co")}
        self.assertEqual(users["stranger@example.com"]["origin_file"], "groupmembers.csv")  # a stub
        self.assertEqual(users["sam@example.com"]["groups"], ["Sales", "Support"])
        # The next groupmembers.csv names G1 only: G1 is reset, G2 keeps its members; a rename keeps them.
        self.sftp_put("limeade-co", key, "groups.csv", b"U,G1,Sales and Marketing\n")
        self.sftp_put("limeade-co", key, "groupmembers.csv", b"G1,kelly@example.com\n")
        sixth, seventh = self.wait_final("limeade-co", 7)[-2:]
        self.assertEqual((sixth["status"], seventh["status"]), ("applied", "applied"), seventh["message"])
        users = {u["username"]: u for u in self.json_of("users", "limeade-co")}
        self.assertEqual(users["kelly@example.com"]["groups"], ["Sales and Marketing"])
        self.assertEqual(users["sam@example.com"]["groups"], ["Support"])
        self.assertEqual(users["stranger@example.com"]["groups"], [])
        # Deleted, then listed again by userstosync.csv: back, with the new initial password.
        self.sftp_put("limeade-co", key, "userstosync.csv", b"Ann,Lee,ann@example.com,,,Welcome-back-9,,,\n")
        eighth = self.wait_final("limeade-co", 8)[-1]
        self.assertEqual((eighth["status"], eighth["counts"]["added"]), ("applied", 1), eighth)
        ann_hash = db.execute("SELECT password_hash FROM directory_users WHERE external_id = 'ann@example.com'").fetchone()[0]
        self.assertTrue(nacl.pwhash.verify(ann_hash.encode(), b"Welcome-back-9"))
        db.close()

        self.stop_server()
        self.assert_nowhere_on_disk([p.encode() for p in passwords.values()] +
                                    [b"Welcome-back-9", b'Tr1cky,""quoted"" one'])

    def test_secureauth_inserts_only_and_its_passwords_verify_and_are_nowhere_else(self):
        """SecureAuth's template through a real upload: new identities are inserted with Argon2id hashes
        that verify, an identity listed twice is refused while the rest import, an existing identity is
        never overwritten, and no password is left in the data dir or the log."""
        key = self.tenant("secure-co", "--profile", "secureauth")
        header = ("userName,status,password,name.givenName,name.familyName,groups,emails[0].value,emails[0].type,"
                  "emails[0].primary,emails[1].value,emails[1].type,emails[1].primary\n")
        passwords = {f"user{i}": f"Pw-{i}-correct horse" for i in range(6)}
        rows = "".join(f"user{i},,{passwords[f'user{i}']},U{i},Ser,Default;IT,u{i}@work.example,work,FALSE,"
                       f"u{i}@home.example,home,TRUE\n" for i in range(6))
        rows += "twice,active,Twice-1,T,W,,t1@example.com,,,,,\ntwice,active,Twice-2,T,W,,t2@example.com,,,,,\n"
        self.sftp_put("secure-co", key, "users.csv", (header + rows).encode())
        first = self.wait_final("secure-co", 1)[0]
        self.assertEqual(first["status"], "applied", first["message"])
        self.assertEqual((first["counts"]["added"], first["counts"]["invalid"]), (6, 2))
        users = {u["username"]: u for u in self.json_of("users", "secure-co")}
        self.assertEqual(set(users), set(passwords))
        self.assertEqual(users["user3"]["email"], "u3@home.example")  # the primary one
        self.assertEqual(users["user3"]["attributes"]["status"], "staged")
        self.assertEqual(users["user3"]["groups"], ["Default", "IT"])
        db = sqlite3.connect(os.path.join(self.data_dir, "intake.db"))
        hashes = dict(db.execute("SELECT external_id, password_hash FROM directory_users"))
        import nacl.pwhash
        for user, password in passwords.items():
            self.assertTrue(nacl.pwhash.verify(hashes[user].encode(), password.encode()))

        # Never overwrites: the next file's user3 is reported "exists, not changed", its password kept.
        self.sftp_put("secure-co", key, "users.csv",
                      (header + "user3,active,Another-pass-9,New,Name,,new@example.com,,,,,\n"
                                "user9,,Pw-9-new,N,U,,u9@example.com,,,,,\n").encode())
        second = self.wait_final("secure-co", 2)[-1]
        self.assertEqual((second["counts"]["added"], second["counts"]["skipped"]), (1, 1), second)
        self.assertIn("user 'user3' exists, not changed", self.run_intake("report", second["id"]).stdout)
        hash3 = db.execute("SELECT password_hash FROM directory_users WHERE external_id = 'user3'").fetchone()[0]
        self.assertTrue(nacl.pwhash.verify(hash3.encode(), passwords["user3"].encode()))
        db.close()

        self.stop_server()
        self.assert_nowhere_on_disk([p.encode() for p in passwords.values()] +
                                    [b"Twice-1", b"Twice-2", b"Another-pass-9", b"Pw-9-new"])

    def test_a_profile_of_your_own_from_the_tutorial_end_to_end(self):
        """The operator adds the docs' tutorial profile with the CLI, checks a file against it, gives it to
        a tenant, and the tenant's uploads apply through it; a new version applies from the next upload."""
        definition = tutorial_profile()
        path = os.path.join(self.tmp, "hr-export.toml")
        with open(path, "w") as f:
            f.write(definition)
        broken = os.path.join(self.tmp, "broken.toml")
        with open(broken, "w") as f:
            f.write(definition.replace('target = "groups"', 'target = "department"'))
        refused = self.run_intake("profile", "add", broken, expect=1)
        self.assertIn("broken.toml:", refused.stderr)
        self.assertIn("'department' is not a target", refused.stderr)
        with open(broken, "w") as f:
            f.write(definition.replace('name = "hr-export"', 'name = "livesafe"'))
        self.assertIn("is a built-in profile", self.run_intake("profile", "add", broken, expect=1).stderr)

        # The vendor's own golden cases, run against the file before it is added.
        cases = os.path.join(self.tmp, "hr-cases")
        for name, rows, counts in [("01-two-new", "E1001;a@acme.example;Ann;Lee;Sales;\nE1002;b@acme.example;Bo;Ek;Ops;\n",
                                    '{"counts": {"added": 2}, "changes": ["E1001 added email \'\' -> \'a@acme.example\' '
                                    'first_name \'\' -> \'Ann\' last_name \'\' -> \'Lee\' groups \'\' -> \'Sales\'", '
                                    '"E1002 added email \'\' -> \'b@acme.example\' first_name \'\' -> \'Bo\' last_name '
                                    '\'\' -> \'Ek\' groups \'\' -> \'Ops\'"]}'),
                                   ("02-bad-id", "X9;c@acme.example;Cy;Ng;Ops;\n",
                                    '{"counts": {"added": 1, "invalid": 0}}')]:
            os.makedirs(os.path.join(cases, name))
            with open(os.path.join(cases, name, "input.csv"), "w") as f:
                f.write("EmployeeId;Email;GivenName;Surname;Department;Mobile\n" + rows)
            with open(os.path.join(cases, name, "expected.json"), "w") as f:
                f.write(counts)
        tested = self.run_intake("profile", "test", cases, "--file", path, expect=1)
        self.assertIn("ok    01-two-new", tested.stdout)
        self.assertIn("FAIL  02-bad-id", tested.stdout)
        self.assertIn("counts: added is 0, expected 1", tested.stdout)
        self.assertIn("1 of 2 cases failed", tested.stderr)
        with open(os.path.join(cases, "02-bad-id", "expected.json"), "w") as f:
            f.write('{"counts": {"invalid": 1}, "problems": ["line 2 EmployeeId: does not have the expected form"]}')
        self.assertIn("2 passed, 0 failed", self.run_intake("profile", "test", cases, "--file", path).stdout)

        self.assertIn("version 1", self.run_intake("profile", "add", path).stdout)
        self.assertIn("2 passed", self.run_intake("profile", "test", cases, "--profile", "hr-export").stdout)
        self.assertIn("already this definition", self.run_intake("profile", "add", path).stdout)
        listed = {p["name"]: p for p in self.json_of("profile", "list")}
        self.assertEqual(listed["hr-export"]["files"][0]["name"], "hr_export.csv")
        self.assertEqual(listed["livesafe"]["origin"], "built-in")
        self.assertEqual(self.run_intake("profile", "show", "hr-export", "--definition").stdout, definition)

        header = "EmployeeId;Email;GivenName;Surname;Department;Mobile\n"
        good = (header + "E1001;ann.lee@acme.example;Ann;Lee;Sales;+15713124600\n"
                "E1002;bo.ek@acme.example;Bo;Ek;Operations;\n")
        export = os.path.join(self.tmp, "hr_export.csv")
        with open(export, "w") as f:
            f.write(good + "X1;no-at-sign;Cy;;Sales;\n")
        checked = self.run_intake("profile", "check", export, "--profile", "hr-export", expect=1)
        self.assertIn("line 4, EmployeeId: EmployeeId 'X1' does not have the expected form", checked.stdout)
        self.assertIn("1 of 3 rows are invalid (more than 10%); the file would not be applied", checked.stdout)
        self.assertIn("E1001: added", checked.stdout)
        self.assertNotIn("Ingest id", checked.stdout)  # never uploaded: no id, time, hash or timings
        self.assertIn("problems", checked.stderr)

        key = self.tenant("acme", "--profile", "hr-export")
        pack = self.run_intake("tenant", "show", "acme").stdout
        self.assertIn("EmployeeId;Email;GivenName;Surname;Department;Mobile", pack)
        self.assertIn("E1001;ann.lee@acme.example;Ann;Lee;Sales;+15713124600", pack)
        self.sftp_put("acme", key, "hr_export.csv", good.encode())
        first = self.wait_final("acme", 1)[0]
        self.assertEqual(first["status"], "applied", first)
        users = {u["username"]: u for u in self.json_of("users", "acme")}
        self.assertEqual(sorted(users), ["E1001", "E1002"])
        self.assertEqual(users["E1001"]["groups"], ["Sales"])
        self.assertEqual(users["E1001"]["contacts"][0]["value"], "+15713124600")
        version_one = self.json_of("report", first["id"])["profile_sha256"]
        self.assertEqual(len(version_one), 64)

        refused = self.run_intake("profile", "remove", "hr-export", expect=1)
        self.assertIn("used by acme", refused.stderr)

        # Before the next export is uploaded: what it would change in acme's directory now.
        with open(export, "w") as f:
            f.write(header + "E1001;ann.lee@acme.example;Ann;Lee;Marketing;+15713124600\n")
        preview = self.run_intake("profile", "check", export, "--tenant", "acme").stdout
        self.assertIn("E1001: updated (groups 'Sales' -> 'Marketing')", preview)
        self.assertIn("removed 1", preview)
        self.assertEqual(len(self.json_of("users", "acme")), 2)  # a check applies nothing

        # A new version: the given name becomes required; the next upload is read with it.
        with open(path, "w") as f:
            f.write(definition.replace('target = "first_name"', 'target = "first_name"\nrequired = true'))
        self.assertIn("version 2", self.run_intake("profile", "add", path).stdout)
        self.sftp_put("acme", key, "hr_export.csv",
                      (header + "E1001;ann.lee@acme.example;Ann;Lee;Marketing;+15713124600\n"
                       "E1002;bo.ek@acme.example;Bo;Ek;Operations;\n"
                       "E1003;cy@acme.example;;Ng;Sales;\n" +
                       "".join(f"E20{i:02};u{i}@acme.example;U;Ser{i};Sales;\n" for i in range(10))).encode())
        second = self.wait_final("acme", 2)[-1]
        self.assertEqual(second["status"], "applied", second)
        report = self.json_of("report", second["id"])
        self.assertNotEqual(report["profile_sha256"], version_one)
        self.assertEqual((report["counts"]["added"], report["counts"]["updated"], report["counts"]["invalid"]),
                         (10, 1, 1))
        self.assertIn("GivenName is empty; it is required", self.run_intake("report", second["id"]).stdout)

        self.run_intake("tenant", "set", "acme", "--profile", "livesafe")
        self.assertIn("removed profile hr-export", self.run_intake("profile", "remove", "hr-export").stdout)
        self.assertNotIn("hr-export", [p["name"] for p in self.json_of("profile", "list")])
        audit = self.run_intake("audit").stdout
        self.assertIn("profile.add", audit)
        self.assertIn("profile.remove", audit)

    def test_a_stored_profile_that_no_longer_loads_is_said_at_start_and_fails_uploads_with_the_reason(self):
        """As after an upgrade that drops a key the stored definition uses: never a crash, never a tenant
        silently skipped."""
        path = os.path.join(self.tmp, "hr-export.toml")
        with open(path, "w") as f:
            f.write(tutorial_profile())
        self.run_intake("profile", "add", path)
        key = self.tenant("acme", "--profile", "hr-export")
        self.stop_server()
        with sqlite3.connect(os.path.join(self.data_dir, "intake.db")) as db:
            db.execute("UPDATE profiles SET definition = replace(definition, 'target = \"groups\"', "
                       "'target = \"department\"')")
        self.start_server()
        self.wait_for_log(r"event=profile.unloadable.*hr-export.*acme")
        listed = self.run_intake("profile", "list").stdout
        self.assertIn("DOES NOT LOAD", listed)
        self.sftp_put("acme", key, "hr_export.csv", b"EmployeeId;Email;GivenName;Surname;Department;Mobile\n")
        failed = self.wait_final("acme", 1)[0]
        self.assertEqual(failed["status"], "failed", failed)
        self.assertIn("does not load in this version of intake", failed["message"])
        self.assertIn("'department' is not a target", failed["message"])
