#!/usr/bin/python3
"""Intake's benchmarks, side by side with OpenSSH's own server (bench/README.md).

Run through bench/run.sh, which builds a Release tree first. Prints one table; --json FILE also keeps
the raw figures. Never part of the test suite: a missed target is reported, not failed.
"""
import argparse
import datetime
import http.server
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abuse  # noqa: E402
from peers import SSH_OPTIONS, IntakeServer, OpenSshServer, proc_status, sftp_batch  # noqa: E402

HEADER = "organizationid,username,firstname,lastname,email,mobilephone,groupname\n"
CIPHERS = ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"]
MiB = 1024 * 1024


def snapshot(org, users, first_name=lambda i: "First"):
    """A LiveSafe snapshot of `users` rows; `first_name(i)` varies rows between snapshots."""
    lines = [HEADER]
    for i in range(users):
        first = first_name(i)
        lines.append(f"{org},user{i:07d},{first},Last{i},user{i:07d}@example.org,+1555{i:07d},Group{i % 50}\n")
    return "".join(lines)


COSAFE_HEADER = "UniqueID,Name,Mail,Title,TelephoneNumber,SecondaryTelephoneNumber,TimeStamp,Groups,Skip\n"


def cosafe_snapshot(users, title):
    """A Cosafe snapshot: every user in three groups (a branch, a site, a department), one cell."""
    lines = [COSAFE_HEADER]
    for i in range(users):
        lines.append(f'EMP{i:07d},User {i},user{i:07d}@example.org,{title(i)},+1555{i:07d},,2026-11-22,'
                     f'"Branch {i % 50}, Site {i % 7}, Dept {i % 13}",\n')
    return "".join(lines)


SAP_GROUPS = [f"Team{g}" for g in range(20)]


def sap_upsert(users, first_name):
    """A SAP Cloud Identity upsert: groups must exist (the benchmark creates SAP_GROUPS first)."""
    lines = ["status,loginName,mail,firstName,lastName,language,validFrom,groups\n"]
    for i in range(users):
        lines.append(f"active,login{i:06d},user{i:06d}@example.com,{first_name(i)},Last{i},en-US,"
                     f"20260101000000Z,{SAP_GROUPS[i % len(SAP_GROUPS)]}\n")
    return "".join(lines)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def latency_ms(ingest, start="received_at"):
    return (parse_time(ingest["finished_at"]) - parse_time(ingest[start])).total_seconds() * 1000


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def mib(kib):
    return kib / 1024


class Bench:
    def __init__(self, args, root):
        self.args = args
        self.root = root
        self.results = []  # rows of the table
        self.raw = {}
        self.intake = args.intake
        self.client = args.client

    def row(self, what, intake, openssh, ratio, target, met):
        self.results.append({"what": what, "intake": intake, "openssh": openssh, "ratio": ratio,
                             "target": target, "met": met})
        print(f"  {what}: Intake {intake}; OpenSSH {openssh}; ratio {ratio}; target {target}: "
              f"{'met' if met else 'MISSED' if met is not None else '-'}", flush=True)

    def intake_server(self, name, **settings):
        base = {"max_connections": 1500, "max_connections_per_ip": 1500, "ban_max_failures": 0,
                "max_unauthenticated": 1500, "max_unauthenticated_per_ip": 1500,
                "login_grace": '"120s"', "idle_timeout": '"1h"'}
        base.update(settings)
        return IntakeServer(self.intake, self.root, name, base)

    # --- upload throughput -------------------------------------------------------------------------
    def throughput(self, openssh):
        size = self.args.throughput_mib * MiB
        source = os.path.join(self.root, "throughput.bin")
        with open(source, "wb") as f:
            for _ in range(self.args.throughput_mib):
                f.write(os.urandom(MiB))
        durable = self.intake_server("intake-durable", durable_close="true").start()
        fast = self.intake_server("intake-nodurable", durable_close="false").start()
        try:
            servers = {"durable": durable, "nodurable": fast}
            keys = {name: server.add_tenant("bulk", "BULK") for name, server in servers.items()}
            batches = {name: write(os.path.join(self.root, f"put-{name}.batch"),
                                   f"put {source} /upload/livesafe_snapshot.csv\n") for name in servers}
            openssh_batch = write(os.path.join(self.root, "put-openssh.batch"),
                                  f"put {source} {openssh.upload_dir}/livesafe_snapshot.csv\n")
            uploads = {"durable": 0, "nodurable": 0}

            def run(side, cipher):
                os.sync()
                start = time.monotonic()
                if side == "openssh":
                    sftp_batch(openssh.port, openssh.user, openssh.key, openssh_batch, cipher)
                else:
                    sftp_batch(servers[side].port, "bulk", keys[side], batches[side], cipher)
                seconds = time.monotonic() - start
                if side == "openssh":
                    received = os.path.join(openssh.upload_dir, "livesafe_snapshot.csv")
                    if os.path.getsize(received) != size:
                        raise RuntimeError(f"OpenSSH received {os.path.getsize(received)} of {size} bytes")
                    os.unlink(received)
                else:  # the ingest (a hash of the file, then a rejection) must not overlap the next run
                    uploads[side] += 1
                    received = servers[side].wait_concluded(uploads[side])[-1]
                    if received["size"] != size:  # a fast upload must also be a whole one
                        raise RuntimeError(f"Intake received {received['size']} of {size} bytes")
                    servers[side].drop_archive()
                return size / MiB / seconds

            for cipher in CIPHERS:
                speeds = {"openssh": [], "durable": [], "nodurable": []}
                for round_number in range(self.args.rounds):
                    order = ["openssh", "durable", "nodurable"]
                    if round_number % 2:
                        order.reverse()
                    for side in order:
                        speeds[side].append(run(side, cipher))
                self.raw[f"throughput {cipher}"] = speeds
                short = cipher.split("@")[0]
                for side, label in (("durable", "durable_close on"), ("nodurable", "durable_close off")):
                    ratios = [a / b for a, b in zip(speeds[side], speeds["openssh"])]
                    ratio = statistics.median(ratios)
                    self.row(f"upload {self.args.throughput_mib} MiB, {short}, {label}",
                             f"{statistics.median(speeds[side]):.0f} MiB/s",
                             f"{statistics.median(speeds['openssh']):.0f} MiB/s", f"{ratio:.2f}x",
                             ">= 1.0x", ratio >= 1.0)
        finally:
            durable.stop()
            fast.stop()
            os.unlink(source)

    # --- many tenants uploading at once (small-file latency, concurrency) ---------------------------
    def tenant_batches(self, server, prefix, tenants, files, rows):
        """Per tenant: a key and an sftp batch putting `files` snapshots of `rows` users, each a little
        different from the one before (so every one is applied, none a duplicate)."""
        jobs = []
        for t in range(tenants):
            tenant, org = f"{prefix}{t:03d}", f"{prefix.upper()}{t:03d}"
            key = server.add_tenant(tenant, org)
            lines = []
            for n in range(files):
                changed = n % max(rows // 10, 1)  # ten rows change per file
                path = write(os.path.join(self.root, f"{tenant}-{n}.csv"),
                             snapshot(org, rows, lambda i, n=n, c=changed: f"First{n}" if i // 10 == c else "First"))
                lines.append(f"put {path} /upload/livesafe_snapshot.csv\n")
            jobs.append((tenant, key, write(os.path.join(self.root, f"{tenant}.batch"), "".join(lines))))
        return jobs

    @staticmethod
    def run_batches(server, jobs):
        """All tenants' sftp clients at once; returns the stderr of each client that failed."""
        clients = [subprocess.Popen(["sftp", "-q", "-b", batch, "-i", key, "-P", str(server.port), *SSH_OPTIONS,
                                     f"{tenant}@127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True) for tenant, key, batch in jobs]
        failures = []
        for client in clients:
            _, err = client.communicate()
            if client.returncode != 0:
                failures.append(err.strip())
        return failures

    def small_files(self):
        connections, rows = 10, 1000
        per_connection = self.args.small_uploads // connections
        server = self.intake_server("intake-small").start()
        try:
            jobs = self.tenant_batches(server, "small", connections, per_connection, rows)
            start = time.monotonic()
            failures = self.run_batches(server, jobs)
            upload_seconds = time.monotonic() - start
            ingests = server.wait_concluded(connections * per_connection - len(failures) * per_connection)
            applied = [i for i in ingests if i["status"] == "applied"]
            latencies = [latency_ms(i) for i in ingests]
            processing = [latency_ms(i, "started_at") for i in ingests]
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            self.raw["small files"] = {"latency_ms": latencies, "processing_ms": processing,
                                       "upload_seconds": upload_seconds, "client_failures": failures[:5]}
            self.row(f"small files: {len(ingests)} x {rows}-row snapshot over {connections} connections in "
                     f"{upload_seconds:.1f} s, completion -> applied ({len(applied)} applied, {len(failures)} "
                     f"failed clients; processing alone p50 {percentile(processing, 50):.0f} ms, "
                     f"p99 {percentile(processing, 99):.0f} ms)",
                     f"p50 {p50:.0f} ms, p99 {p99:.0f} ms", "-", "-", "p50 <= 20 ms, p99 <= 100 ms",
                     p50 <= 20 and p99 <= 100 and not failures and len(applied) == len(ingests))
        finally:
            server.stop()

    # --- completion -> webhook received ---------------------------------------------------------------
    def webhooks(self):
        """Small uploads from 10 tenants at once, each concluded ingest posted to a webhook receiver on
        loopback (plain HTTP: the figure is Intake's pipeline and outbox, not TLS)."""
        connections, rows = 10, 1000
        per_connection = self.args.small_uploads // connections
        received = {}
        lock = threading.Lock()

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = datetime.datetime.utcnow()
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    received.setdefault(self.headers["webhook-id"].removesuffix(".ingest.concluded"), arrived)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        server = self.intake_server("intake-hooks").start()
        try:
            server.cli("hooks", "add", "--url", f"http://127.0.0.1:{receiver.server_address[1]}/events",
                       "--events", "ingest.concluded")
            jobs = self.tenant_batches(server, "hook", connections, per_connection, rows)
            failures = self.run_batches(server, jobs)
            ingests = server.wait_concluded(connections * per_connection - len(failures) * per_connection)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(received) < len(ingests):
                time.sleep(0.1)
            latencies = [(received[i["id"]] - parse_time(i["received_at"])).total_seconds() * 1000
                         for i in ingests if i["id"] in received]
            applied = [latency_ms(i) for i in ingests]
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            self.raw["webhooks"] = {"latency_ms": latencies, "applied_ms": applied, "client_failures": failures[:5]}
            self.row(f"webhooks: {len(ingests)} x {rows}-row snapshot over {connections} connections, completion "
                     f"-> webhook received ({len(latencies)} received; completion -> applied p50 "
                     f"{percentile(applied, 50):.0f} ms, p99 {percentile(applied, 99):.0f} ms)",
                     f"p50 {p50:.0f} ms, p99 {p99:.0f} ms", "-", "-", "every event delivered",
                     len(latencies) == len(ingests) and not failures)
        finally:
            server.stop()
            receiver.shutdown()

    def concurrency(self):
        sessions, files = self.args.sessions, 10
        server = self.intake_server("intake-concurrency").start()
        try:
            jobs = self.tenant_batches(server, "conc", sessions, files, 100)
            os.sync()
            before = proc_status(server.pid)
            with open(f"/proc/{server.pid}/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM, so the peak below is this phase's
            start = time.monotonic()
            failures = self.run_batches(server, jobs)
            ingests = server.wait_concluded(sessions * files - len(failures) * files, timeout=600)
            seconds = time.monotonic() - start
            per_tenant = {}
            for ingest in ingests:
                per_tenant.setdefault(ingest["tenant"], []).append(ingest["status"])
            lost = sum(files - len(per_tenant.get(tenant, [])) for tenant, _, _ in jobs)
            not_applied = sum(1 for i in ingests if i["status"] != "applied")
            peak = proc_status(server.pid)["VmHWM"]
            self.raw["concurrency"] = {"failures": failures[:5], "lost": lost, "not_applied": not_applied,
                                       "rss_before_kib": before["VmRSS"], "peak_kib": peak, "seconds": seconds}
            self.row(f"concurrency: {sessions} sessions x {files} uploads, all applied in {seconds:.1f} s "
                     f"({lost} lost, {len(failures)} failed sessions, {not_applied} not applied)",
                     f"peak RSS {mib(peak):.0f} MiB", "-", "-", "0 failures, 0 lost",
                     lost == 0 and not failures and not_applied == 0)
        finally:
            server.stop()

    # --- idle sessions -----------------------------------------------------------------------------
    def idle(self):
        sessions = self.args.idle_sessions
        server = self.intake_server("intake-idle").start()
        try:
            key = server.add_tenant("idle", "IDLE")
            warm = subprocess.run([self.client, "logins", "--port", str(server.port), "--user", "idle",
                                   "--key", key, "--threads", "2", "--seconds", "1"], capture_output=True)
            if warm.returncode != 0:
                raise RuntimeError("warm-up logins failed: " + warm.stderr.decode())
            time.sleep(0.5)
            before = proc_status(server.pid)
            holder = subprocess.Popen([self.client, "idle", "--port", str(server.port), "--user", "idle", "--key",
                                       key, "--sessions", str(sessions), "--threads", "4"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
            ready = holder.stdout.readline().split()
            time.sleep(1)
            during = proc_status(server.pid)
            holder.stdin.close()
            holder.wait(timeout=120)
            opened = int(ready[1]) if len(ready) >= 4 else 0
            per_session = (during["VmRSS"] - before["VmRSS"]) / max(opened, 1)
            self.raw["idle"] = {"before": before, "during": during, "opened": opened}
            self.row(f"idle: {opened} of {sessions} sessions logged in and idle "
                     f"(RSS {mib(before['VmRSS']):.1f} -> {mib(during['VmRSS']):.1f} MiB, "
                     f"{during['Threads']} threads)",
                     f"{per_session:.0f} KiB per session", "-", "-", "<= 512 KiB per session",
                     opened == sessions and per_session <= 512)
        finally:
            server.stop()

    # --- login rate --------------------------------------------------------------------------------
    def logins(self, openssh):
        server = self.intake_server("intake-logins").start()
        try:
            key = server.add_tenant("logins", "LOGINS")
            rates = {"intake": [], "openssh": []}
            failed = 0

            def run(side):
                nonlocal failed
                port, user, k = ((server.port, "logins", key) if side == "intake"
                                 else (openssh.port, openssh.user, openssh.key))
                out = subprocess.run([self.client, "logins", "--port", str(port), "--user", user, "--key", k,
                                      "--threads", "4", "--seconds", str(self.args.login_seconds)],
                                     capture_output=True, text=True)
                words = out.stdout.split()
                failed += int(words[3])
                rates[side].append(int(words[1]) / float(words[5]))

            for round_number in range(self.args.rounds):
                for side in (["openssh", "intake"] if round_number % 2 == 0 else ["intake", "openssh"]):
                    run(side)
            ratio = statistics.median(a / b for a, b in zip(rates["intake"], rates["openssh"]))
            self.raw["logins"] = rates
            self.row(f"login rate: connect + key login + SFTP init + close, 4 parallel clients "
                     f"({failed} failed)",
                     f"{statistics.median(rates['intake']):.0f}/s", f"{statistics.median(rates['openssh']):.0f}/s",
                     f"{ratio:.2f}x", ">= 1.0x", ratio >= 1.0 and failed == 0)
        finally:
            server.stop()

    # --- attacks on memory and on login slots ------------------------------------------------------
    def abuse(self):
        sessions, requests = self.args.abuse_sessions, 2000
        server = self.intake_server("intake-abuse", allow_read_uploads="true", max_open_handles=64).start()
        try:
            key = server.add_tenant("mallory", "MALLORY")
            folder = os.path.join(server.data_dir, "tenants", "mallory", "upload")
            with open(os.path.join(folder, "big.filepart"), "wb") as f:
                f.write(os.urandom(4 * MiB))
            for n in range(self.args.listing_files):  # temporary names: kept, never ingested
                open(os.path.join(folder, f"f{n:05d}-{'x' * 40}.tmp"), "w").close()
            for name, make, label in (
                    ("read backlog", lambda: abuse.read_backlog(server.port, "mallory", key, sessions, requests),
                     f"{sessions} sessions each pipelining {requests} READs of 255 KiB, reading no reply"),
                    ("listing", lambda: abuse.listing(server.port, "mallory", key, sessions, 63),
                     f"{sessions} sessions x 63 open listings of a folder of {self.args.listing_files:,} files")):
                attackers, attack = make()
                time.sleep(1)
                before = proc_status(server.pid)
                abuse.reset_peak(server.pid)
                attack()
                during = abuse.settled_rss(server.pid)
                per_session = (during["VmHWM"] - before["VmRSS"]) / sessions
                self.raw[f"abuse {name}"] = {"before": before, "during": during, "sessions": sessions}
                self.row(f"abuse, {label}: peak RSS {mib(before['VmRSS']):.0f} -> {mib(during['VmHWM']):.0f} MiB",
                         f"{per_session:.0f} KiB per session", "-", "-", "<= 2 MiB per session",
                         per_session <= 2048)
                abuse.close_all(attackers)
            quiet = abuse.login_seconds(server.port, "mallory", key, 20)
            held, refused = abuse.silent_connections(server.port, 1000, 50)
            try:
                time.sleep(1)
                loaded = abuse.login_seconds(server.port, "mallory", key, 20)
            finally:
                for sock in held:
                    sock.close()
            self.raw["abuse logins"] = {"quiet": quiet, "loaded": loaded, "held": len(held), "refused": refused}
            self.row(f"abuse, a customer's login (connect, key login, SFTP listing) while 1,000 silent "
                     f"connections from 50 addresses are open ({len(held)} accepted by TCP, {refused} refused); "
                     f"without them: median {abuse.median_ms(quiet):.0f} ms",
                     f"median {abuse.median_ms(loaded):.0f} ms, max {max(loaded) * 1000:.0f} ms", "-", "-",
                     "every login succeeds, median <= 2x quiet", abuse.median_ms(loaded) <= 2 * abuse.median_ms(quiet))
        finally:
            server.stop()

    # --- ingest of a large directory ---------------------------------------------------------------
    def ingest(self):
        users = self.args.ingest_rows
        server = self.intake_server("intake-ingest").start()
        try:
            self.ingest_series(server, "bigorg", "BIG", [], "livesafe_snapshot.csv", lambda first: snapshot("BIG", users, first), [
                ("initial load into an empty directory", lambda i: "First", None),
                (f"{users:,} rows over {users:,} existing users, every row changed", lambda i: "Given", 10),
                ("1% of the rows changed", lambda i: "Other" if i % 100 == 7 else "Given", 2)])
            self.ingest_series(server, "cosafe-big", "COSAFE", ["--profile", "cosafe"], "cosafe_users.csv",
                               lambda title: cosafe_snapshot(users, title), [
                ("Cosafe: initial load, 3 groups per user", lambda i: "Engineer", None),
                ("Cosafe: 1% of the rows changed", lambda i: "Manager" if i % 100 == 7 else "Engineer", None)])
            sap_rows = max(1, users // 10)
            self.ingest_series(server, "sap-big", "SAP", ["--profile", "sap-ias"], "sap_users.csv",
                               lambda first: sap_upsert(sap_rows, first), [
                (f"SAP: {sap_rows:,}-row upsert into an empty directory", lambda i: "Anna", None),
                (f"SAP: {sap_rows:,}-row upsert, 1% changed", lambda i: "Berta" if i % 100 == 7 else "Anna", None)],
                groups=SAP_GROUPS)
        finally:
            server.stop()

    def ingest_series(self, server, tenant, org_id, options, file_name, make_file, steps, groups=()):
        """Uploads one file per step to a fresh tenant and records how long each took to apply, and the
        server's peak RSS during it."""
        key = server.add_tenant(tenant, org_id, *options)
        for group in groups:
            server.cli("groups", "add", tenant, group)
        for label, vary, target in steps:
            done = len(server.wait_concluded(0))
            path = write(os.path.join(self.root, file_name), make_file(vary))
            batch = write(os.path.join(self.root, "big.batch"), f"put {path} /upload/{file_name}\n")
            with open(f"/proc/{server.pid}/clear_refs", "w") as f:
                f.write("5")
            sftp_batch(server.port, tenant, key, batch)
            ingest = server.wait_concluded(done + 1)[-1]
            seconds = latency_ms(ingest) / 1000
            processing = latency_ms(ingest, "started_at") / 1000
            peak = proc_status(server.pid)["VmHWM"]
            counts = (f"+{ingest['rows_added']} ~{ingest['rows_updated']} -{ingest['rows_removed']} "
                      f"={ingest['rows_unchanged']}")
            self.raw[f"ingest {tenant}: {label}"] = {"seconds": seconds, "processing_seconds": processing,
                                                      "peak_kib": peak, "status": ingest["status"], "counts": counts}
            met = None if target is None else (ingest["status"] == "applied" and seconds <= target
                                               and peak <= 500 * 1024)
            self.row(f"ingest: {label} ({ingest['status']}, {counts})",
                     f"{seconds:.2f} s, peak RSS {mib(peak):.0f} MiB", "-", "-",
                     "-" if target is None else f"<= {target} s, <= 500 MB", met)
            os.unlink(path)


    # --- passwords and group memberships (Limeade ONE, SecureAuth) ----------------------------------
    def passwords(self):
        """A SecureAuth import of `password_rows` users with passwords (Argon2id at the default cost, on the
        hashing pool) while another tenant keeps uploading small snapshots: how long the import takes, and
        how long the other tenant's files wait meanwhile."""
        rows = self.args.password_rows
        server = self.intake_server("intake-passwords").start()
        try:
            secure_key = server.add_tenant("secure-big", "SECURE", "--profile", "secureauth")
            other_key = server.add_tenant("other-small", "OTHER")
            header = "userName,password,name.givenName,name.familyName,emails[0].value,emails[0].type,emails[0].primary\n"
            path = write(os.path.join(self.root, "users.csv"), header + "".join(
                f"user{i},Pw-{i}-{os.urandom(6).hex()},Given{i},Family,user{i}@example.com,work,TRUE\n"
                for i in range(rows)))
            sftp_batch(server.port, "secure-big", secure_key,
                       write(os.path.join(self.root, "secure.batch"), f"put {path} /upload/users.csv\n"))
            # The other tenant uploads one changed snapshot after another until the import has concluded.
            latencies, n = [], 0

            def concluded_of(tenant):
                return [i for i in server.wait_concluded(0) if i["tenant"] == tenant]
            while not concluded_of("secure-big"):
                small = write(os.path.join(self.root, "other.csv"),
                              snapshot("OTHER", 1000, lambda i, n=n: f"First{n}" if i < 10 else "First"))
                sftp_batch(server.port, "other-small", other_key,
                           write(os.path.join(self.root, "other.batch"), f"put {small} /upload/livesafe_snapshot.csv\n"))
                n += 1
                while len(concluded_of("other-small")) < n:
                    time.sleep(0.02)
                latencies.append(latency_ms(concluded_of("other-small")[-1]))
            ingests = server.wait_concluded(n + 1)
            secure = [i for i in ingests if i["tenant"] == "secure-big"][0]
            seconds = latency_ms(secure) / 1000
            worst = max(latencies) if latencies else 0
            self.raw["passwords"] = {"seconds": seconds, "status": secure["status"], "added": secure["rows_added"],
                                     "other_latency_ms": latencies}
            self.row(f"passwords: SecureAuth {rows:,} rows with passwords (Argon2id 19 MiB, t=2; "
                     f"{secure['status']}, +{secure['rows_added']}) while another tenant uploaded {len(latencies)} "
                     f"1,000-row snapshots", f"{seconds:.1f} s; the other tenant's completion -> applied p50 "
                     f"{percentile(latencies, 50):.0f} ms, max {worst:.0f} ms", "-", "-",
                     "other tenant's files applied within 1 s", secure["status"] == "applied" and worst <= 1000)
        finally:
            server.stop()

    def memberships(self):
        """Limeade ONE's groupmembers.csv with `membership_rows` rows over 100 groups: the first upload makes
        the stub users and their memberships, the second moves 1% of them (a reset of every group named)."""
        rows = self.args.membership_rows
        server = self.intake_server("intake-memberships").start()
        try:
            key = server.add_tenant("lime-big", "LIME", "--profile", "limeade", "--auto-create-users", "on")
            steps = [("groups.csv", "".join(f"U,G{g},Group {g}\n" for g in range(100)), "100 groups"),
                     ("groupmembers.csv", "".join(f"G{i % 100},user{i}@example.com\n" for i in range(rows)),
                      f"{rows:,} memberships and stub users into an empty directory"),
                     ("groupmembers.csv", "".join(f"G{(i + (i % 100 == 7)) % 100},user{i}@example.com\n"
                                                  for i in range(rows)), f"{rows:,}-row reset, 1% moved")]
            for n, (name, content, label) in enumerate(steps, start=1):
                path = write(os.path.join(self.root, name), content)
                with open(f"/proc/{server.pid}/clear_refs", "w") as f:
                    f.write("5")
                sftp_batch(server.port, "lime-big", key, write(os.path.join(self.root, "lime.batch"),
                                                                f"put {path} /upload/{name}\n"))
                ingest = server.wait_concluded(n)[-1]
                seconds, peak = latency_ms(ingest) / 1000, proc_status(server.pid)["VmHWM"]
                self.raw[f"memberships: {label}"] = {"seconds": seconds, "peak_kib": peak, "status": ingest["status"]}
                self.row(f"memberships: Limeade {name}, {label} ({ingest['status']}, +{ingest['rows_added']} "
                         f"~{ingest['rows_updated']})", f"{seconds:.2f} s, peak RSS {mib(peak):.0f} MiB", "-", "-", "-",
                         None)
        finally:
            server.stop()


def table(results):
    lines = ["| benchmark | Intake | OpenSSH | ratio (median) | target | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        met = "yes" if r["met"] else ("**no**" if r["met"] is not None else "-")
        lines.append(f"| {r['what']} | {r['intake']} | {r['openssh']} | {r['ratio']} | {r['target']} | {met} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--intake", required=True, help="the intake binary")
    parser.add_argument("--client", required=True, help="the intake-bench-client binary")
    parser.add_argument("--only", nargs="*", default=[],
                        choices=["throughput", "small", "webhooks", "concurrency", "idle", "logins", "abuse",
                                 "ingest", "passwords", "memberships"])
    parser.add_argument("--quick", action="store_true", help="small sizes, for trying the script out")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()
    args.rounds = 5
    args.throughput_mib, args.small_uploads, args.sessions = 1024, 1000, 200
    args.idle_sessions, args.login_seconds, args.ingest_rows = 1000, 3, 1_000_000
    args.abuse_sessions, args.listing_files = 15, 20_000
    args.password_rows, args.membership_rows = 10_000, 100_000
    if args.quick:
        args.rounds, args.throughput_mib, args.small_uploads, args.sessions = 2, 64, 100, 20
        args.idle_sessions, args.login_seconds, args.ingest_rows = 100, 1, 20_000
        args.abuse_sessions, args.listing_files = 5, 2_000
        args.password_rows, args.membership_rows = 200, 5_000

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as root:
        bench = Bench(args, root)
        openssh = OpenSshServer(root).start()
        try:
            wanted = set(args.only) or {"throughput", "small", "webhooks", "concurrency", "idle", "logins", "abuse",
                                        "ingest", "passwords", "memberships"}
            for name, run in (("throughput", lambda: bench.throughput(openssh)), ("small", bench.small_files),
                              ("webhooks", bench.webhooks),
                              ("concurrency", bench.concurrency), ("idle", bench.idle),
                              ("logins", lambda: bench.logins(openssh)), ("abuse", bench.abuse),
                              ("ingest", bench.ingest), ("passwords", bench.passwords),
                              ("memberships", bench.memberships)):
                if name in wanted:
                    print(f"== {name}", flush=True)
                    phase = time.monotonic()
                    run()
                    print(f"   ({time.monotonic() - phase:.0f} s)", flush=True)
        finally:
            openssh.stop()
    elapsed = time.monotonic() - started
    print()
    print(f"Intake benchmarks, {datetime.date.today()}, {platform.node()}: {os.cpu_count()} cores, "
          f"{platform.platform()}; {elapsed / 60:.1f} min")
    print(subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip())
    print(table(bench.results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": str(datetime.date.today()), "elapsed_seconds": elapsed, "rows": bench.results,
                       "raw": bench.raw}, f, indent=1)


if __name__ == "__main__":
    main()
