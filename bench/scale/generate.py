#!/usr/bin/env python3
"""Fills a Sportello database with N practices (default 5 000 000) for the scale bench.

    python3 bench/scale/generate.py --sqlite DATA/sportello.db [--practices N] [--blobs DIR]
    python3 bench/scale/generate.py --postgres postgres://user@host:port/db [--practices N]

The schema must already exist, made by Sportello's own migrations (`sportello migrate`);
this script only writes rows, straight into the tables (SQLite: multi-row inserts in large
transactions; PostgreSQL: one `COPY … FROM STDIN` stream per table through `psql`), never
through the HTTP API.

What it makes, all from one seed (`--seed`, default 14), so two runs give the same rows:
- 105 chambers, the number of practices each receives following a Zipf-like law (exponent
  1.1: the largest chamber gets about a fifth of all practices, the smallest a few thousand),
  1 to 4 desks each, an officer per desk, an auditor, a chamber administrator and a master
  RAO per chamber;
- companies (one per 40 practices) spread over the chambers in the same proportion, the
  practices of a chamber again skewed over its companies (a few exporters file most), each
  company with a head office and one user;
- base models (one per 5 practices);
- practices over 5 years ending at `--end` (default 2026-12-01), in time order: mostly
  approved, some rejected or withdrawn, the last weeks' ones still sent, in review, to
  rectify or drafts; each with one or two attachments;
- certificates with their national numbers (`C` + year + chamber code + 7 digits) for the
  approved certificates of origin, each with a security code kept as the legacy SHA-256 of
  `NUMBER:CODE` (so the bench knows valid codes; Sportello upgrades each to Argon2id at its
  first check);
- audit entries (the send and the decision of each practice), hash-chained as Sportello
  chains them (`audit::Entry::compute_hash`), so `admin audit verify` passes on a generated
  database;
- devices (about one per 25 practices) with their deliveries, and the stock counters
  (`dev_stock`) Sportello keeps with them;
- the (chamber, company) pairs of `chamber_companies`, as Sportello writes them with a
  company's first practice for a chamber, and with each the company's user in
  `chamber_company_users` (the users the chamber's administrator manages);
- active RAOs (about one per 1 000 practices, by the chambers' share), which the devices
  page's withdrawal form picks from, and ODR organisations (one per 10 000), which the
  consignments page lists;
- the restricted archive's mandate documents of those operators, a handful each (one to three
  steps of three or four signed documents kept at one instant), over the five years: the
  largest chamber keeps thousands at 5 000 000 practices (`/ra/archive`). They come from a
  generator of their own, after everything else, so the rest of the data stays as it was;
- attachments, signed models and certificate PDFs as small blobs: 1 000 distinct contents,
  each written once under its SHA-256 into `--blobs DIR` when given (content-addressed, so
  every row's key names a real object);
- sessions with known tokens for the users the bench logs in as, written with the list of
  verification numbers and codes to `--plan FILE` (JSON) for `bench/scale/bench.py`.
"""

import argparse
import bisect
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta

PROVINCES = (
    "AG AL AN AO AP AQ AR AT AV BA BG BI BL BN BO BR BS BT BZ CA CB CE CH CL CN CO CR CS CT "
    "CZ EN FC FE FG FI FM FR GE GO GR IM IS KR LC LE LI LO LT LU MB MC ME MI MN MO MS MT NA "
    "NO NU OR PA PC PD PE PG PI PN PO PR PT PU PV PZ RA RC RE RG RI RM RN RO SA SI SO SP SR "
    "SS SU SV TA TE TN TO TP TR TS TV UD VA VB VC VE VI VR VT VV"
).split()
CITY = {"RM": "Roma", "MI": "Milano", "TO": "Torino", "NA": "Napoli", "GE": "Genova",
        "BO": "Bologna", "FI": "Firenze", "VE": "Venezia", "BA": "Bari", "PA": "Palermo"}
SURNAMES = ("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
            "Gallo Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri "
            "Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone").split()
SECTORS = ("Meccanica Tessile Alimentari Arredamenti Ceramiche Vini Oleodinamica Calzature "
           "Plastica Elettronica Logistica Chimica Utensili Imballaggi Rubinetterie").split()
FORMS = ("S.r.l.", "S.p.A.", "S.n.c.", "S.a.s.")
CONSIGNEES = ("Acme Trading LLC", "Nordic Import AB", "Gulf Supplies FZE", "Shanghai Jiahe Co.",
              "Andes Comercial SA", "Maple Goods Inc.", "Atlas Handel GmbH", "Sakura Shoji KK",
              "Cape Distributors Pty", "Levant Trading SAL", "Istanbul Ticaret AS",
              "Mumbai Exports Pvt", "Baltic Partners UAB", "Pacific Rim Ltd")
COUNTRIES = ("US", "CN", "AE", "CH", "GB", "JP", "TR", "BR", "IN", "SA", "RU", "EG", "ZA", "AU")
TYPES = (("certificate_of_origin", 0.78), ("invoice_visa", 0.12), ("visas_attestations", 0.06),
         ("certificate_copy", 0.03), ("cancellation", 0.01))
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
BLOB_CONTENTS = 1000
DAYS = 5 * 365


EPOCH = datetime(1970, 1, 1)
MS = timedelta(milliseconds=1)


def instant(t):
    """As Sportello stores instants: RFC 3339, UTC, microseconds (times here are naive UTC)."""
    return t.isoformat(timespec="microseconds") + "Z"


class Ids:
    """UUID v7-shaped ids: the time in milliseconds, then a counter; in time order."""

    def __init__(self):
        self.n = 0

    def at(self, t):
        self.n += 1
        ms = (t - EPOCH) // MS
        h = f"{ms:012x}"
        c = f"{self.n:020x}"
        return f"{h[:8]}-{h[8:]}-7{c[-19:-16]}-8{c[-16:-13]}-{c[-12:]}"


GENESIS = "0" * 64


def audit_hash(prev_hash, seq, at, actor_id, actor, chamber_id, action, entity_type,
               entity_id, before_json, after_json):
    """The hash of an audit entry chained to `prev_hash`, as `audit::Entry::compute_hash`:
    SHA-256 over each field's UTF-8 length (8 bytes, big-endian) and bytes, an absent value
    written as one NUL."""
    h = hashlib.sha256()
    for field in (prev_hash, str(seq), at, actor_id, actor, chamber_id, action, entity_type,
                  entity_id, before_json, after_json):
        data = ("\0" if field is None else field).encode()
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class AuditChain:
    """Audit entries in sequence order, each linked to the one before."""

    def __init__(self, sink):
        self.sink = sink
        self.seq = 0
        self.prev = GENESIS

    def add(self, at, actor_id, actor, chamber_id, action, entity_type, entity_id):
        self.seq += 1
        digest = audit_hash(self.prev, self.seq, at, actor_id, actor, chamber_id, action,
                            entity_type, entity_id, None, None)
        self.sink.add("audit_log", (self.seq, at, actor_id, actor, chamber_id, action,
                                    entity_type, entity_id, None, None, self.prev, digest))
        self.prev = digest


def company_tax_code(i):
    """An 11-digit company tax code with its check digit (the partita IVA algorithm)."""
    base = f"{1000000000 + i * 7919 % 8999999999:010d}"
    total = 0
    for pos, ch in enumerate(base):
        d = int(ch)
        if pos % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


def zipf_weights(n, s):
    return [1.0 / (k ** s) for k in range(1, n + 1)]


def cumulative(weights):
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def pick(rng, cum):
    return bisect.bisect_left(cum, rng.random() * cum[-1])


class Sink:
    """Where rows go: a SQLite connection or one psql COPY stream per table."""

    def __init__(self, sqlite_path, postgres_url, batch):
        self.batch = batch
        self.rows = {}
        self.cols = {}
        self.pending = 0
        if sqlite_path:
            self.db = sqlite3.connect(sqlite_path, isolation_level=None)
            for pragma in ("journal_mode = WAL", "synchronous = OFF", "cache_size = -262144",
                           "foreign_keys = OFF", "temp_store = MEMORY"):
                self.db.execute(f"PRAGMA {pragma}")
            self.db.execute("BEGIN")
            self.pg = None
        else:
            self.db = None
            self.url = postgres_url
            self.pg = {}

    def table(self, name, columns):
        self.cols[name] = columns
        self.rows[name] = []
        if self.pg is not None:
            p = subprocess.Popen(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url],
                                 stdin=subprocess.PIPE, text=True, bufsize=1 << 20)
            p.stdin.write("SET session_replication_role = replica;\n")
            p.stdin.write(f"COPY {name} ({', '.join(columns)}) FROM STDIN;\n")
            self.pg[name] = p

    def add(self, name, row):
        self.rows[name].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    def flush(self):
        for name, rows in self.rows.items():
            if not rows:
                continue
            if self.db is not None:
                cols = self.cols[name]
                sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                self.db.executemany(sql, rows)
            else:
                out = self.pg[name].stdin
                out.write("".join("\t".join(copy_text(v) for v in r) + "\n" for r in rows))
            rows.clear()
        self.pending = 0
        if self.db is not None:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")

    def close(self):
        self.flush()
        if self.db is not None:
            self.db.execute("COMMIT")
            self.db.execute("ANALYZE")
            self.db.close()
        else:
            for name, p in self.pg.items():
                p.stdin.write("\\.\n")
                p.stdin.close()
            failed = [n for n, p in self.pg.items() if p.wait() != 0]
            if failed:
                sys.exit(f"psql failed for {failed}")
            subprocess.run(["psql", "-q", self.url, "-c", "ANALYZE"], check=True)


def copy_text(v):
    if v is None:
        return "\\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sqlite")
    ap.add_argument("--postgres")
    ap.add_argument("--practices", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--end", default="2026-12-01")
    ap.add_argument("--blobs", help="the blob folder to write the distinct contents into")
    ap.add_argument("--plan", default="scale-plan.json")
    ap.add_argument("--batch", type=int, default=50_000)
    a = ap.parse_args()
    if bool(a.sqlite) == bool(a.postgres):
        sys.exit("give --sqlite PATH or --postgres URL")
    started = time.time()
    rng = random.Random(a.seed)
    ids = Ids()
    n = a.practices
    end = datetime.fromisoformat(a.end)
    start = end - timedelta(days=DAYS)
    sink = Sink(a.sqlite, a.postgres, a.batch)
    T = sink.table
    T("chambers", ["id", "code", "name", "pec", "created_at"])
    T("desks", ["id", "chamber_id", "code", "name", "address", "created_at"])
    T("users", ["id", "email", "name", "password_hash", "role", "chamber_id", "active",
                "created_at", "tax_code"])
    T("user_desks", ["user_id", "desk_id"])
    T("ra_operators", ["id", "chamber_id", "kind", "name", "tax_code", "email", "state",
                       "mandate_start", "mandate_end", "course_score", "course_passed_on",
                       "course_valid_until", "created_at", "updated_at"])
    T("ra_documents", ["id", "operator_id", "chamber_id", "kind", "filename", "content_type",
                       "blob", "size", "signature_format", "signer_tax_code", "signer_subject",
                       "created_at"])
    T("companies", ["id", "tax_code", "vat_number", "name", "status", "created_at",
                    "updated_at", "registered_on"])
    T("sites", ["id", "company_id", "site_key", "kind", "province", "rea_number", "address",
                "postcode", "municipality", "created_at", "updated_at"])
    T("user_companies", ["user_id", "company_id", "reason", "linked_at"])
    T("base_models", ["id", "company_id", "site_id", "practice_type", "input_json", "version",
                      "consignee_name", "created_by", "created_at", "updated_at"])
    T("practices", ["id", "chamber_id", "desk_id", "company_id", "site_id", "model_id",
                    "model_version", "model_sha256", "practice_type", "status",
                    "consignee_name", "print_mode", "copies", "signed_blob",
                    "signed_file_name", "signature_json", "signer_tax_code", "fee_cents",
                    "protocol_number", "protocol_year", "sent_at", "closed_at", "created_by",
                    "created_at", "updated_at", "assigned_to", "assigned_at",
                    "rectify_deadline", "rectify_reason", "decision_reason"])
    T("chamber_companies", ["chamber_id", "company_id"])
    T("chamber_company_users", ["chamber_id", "email", "user_id"])
    T("practice_attachments", ["id", "practice_id", "blob", "file_name", "content_type",
                               "size_bytes", "description", "code", "created_by",
                               "created_at"])
    T("certificates", ["id", "practice_id", "chamber_id", "number", "year", "seq",
                       "security_code_hash", "status", "issued_on", "issued_at",
                       "company_name", "consignee_country", "origin_country", "print_mode",
                       "pdf_blob", "pdf_sha256"])
    T("audit_log", ["seq", "at", "actor_id", "actor", "chamber_id", "action", "entity_type",
                    "entity_id", "before_json", "after_json", "prev_hash", "hash"])
    T("dev_deliveries", ["id", "chamber_id", "filename", "sha256", "devices", "created_by",
                         "created_at"])
    T("dev_devices", ["id", "chamber_id", "serial", "kind", "batch", "delivery_id", "state",
                      "holder_operator_id", "delivered_on", "updated_at"])
    T("dev_stock", ["chamber_id", "state", "holder_operator_id", "kind", "devices"])
    T("sessions", ["id_hash", "user_id", "csrf_token", "acting_company_id", "created_at",
                   "last_seen_at", "expires_at"])
    T("counters", ["scope", "value"])

    # Blobs: a thousand small distinct contents, shared by every row that names one.
    blob_keys = []
    for i in range(BLOB_CONTENTS):
        content = f"%PDF-1.4\n% scale bench object {i}\n".encode() + bytes(rng.randrange(256) for _ in range(64))
        key = hashlib.sha256(content).hexdigest()
        blob_keys.append(key)
        if a.blobs:
            d = os.path.join(a.blobs, key[:2])
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, key[2:]), "wb") as f:
                f.write(content)

    epoch = instant(start - timedelta(days=30))
    chamber_weights = zipf_weights(105, 1.1)
    share = [w / sum(chamber_weights) for w in chamber_weights]
    # The largest chambers are the large cities', the rest in a seeded order.
    provinces = [c for c in PROVINCES if c not in CITY]
    rng.shuffle(provinces)
    provinces = list(CITY) + provinces
    chambers = []
    for k in range(105):
        code = provinces[k]
        cid = ids.at(start - timedelta(days=30))
        city = CITY.get(code, code)
        sink.add("chambers", (cid, code, f"Camera di commercio di {city}",
                              f"cciaa@{code.lower()}.legalmail.camcom.it", epoch))
        desks = []
        for d in range(1 + min(3, int(share[k] * 40))):
            did = ids.at(start - timedelta(days=30))
            sink.add("desks", (did, cid, f"{code}{d + 1:02d}", f"Sportello {city} {d + 1}",
                               f"Via Roma {d + 1}, {city}", epoch))
            officer = ids.at(start - timedelta(days=30))
            sink.add("users", (officer, f"officer-{code.lower()}-{d + 1}@scale.test",
                               f"Funzionario {city} {d + 1}", "!", "officer", cid, 1, epoch, None))
            sink.add("user_desks", (officer, did))
            desks.append((did, officer))
        staff = {}
        operators = []
        for role in ("auditor", "chamber-admin", "master-rao"):
            uid = ids.at(start - timedelta(days=30))
            sink.add("users", (uid, f"{role}-{code.lower()}@scale.test",
                               f"{role.title()} {city}", "!", role, cid, 1, epoch, None))
            staff[role] = uid
        # The chamber's RAOs, active, with a mandate and a course in force at the end of the
        # period: what the devices page's withdrawal form picks from.
        for j in range(max(3, round(max(105, n // 1000) * share[k]))):
            oid = ids.at(start - timedelta(days=30))
            name = f"{rng.choice(SURNAMES).replace('_', ' ').title()} {j + 1}"
            operators.append((oid, name, company_tax_code(10_000_000 + j)))
            sink.add("ra_operators", (
                oid, cid, "rao", name,
                company_tax_code(10_000_000 + j), f"rao-{code.lower()}-{j}@scale.test", "active",
                (end - timedelta(days=365)).date().isoformat(),
                (end + timedelta(days=3 * 365)).date().isoformat(), 90,
                (end - timedelta(days=60)).date().isoformat(),
                (end + timedelta(days=300)).date().isoformat(), epoch, epoch))
        # Its ODR organisations (about one per 10 000 practices), which the consignments page
        # lists a page at a time; named without the random generator, so the rest of the
        # data stays as it was.
        for j in range(max(1, round(max(105, n // 10_000) * share[k]))):
            oid = ids.at(start - timedelta(days=30))
            operators.append((oid, f"ODR {city.upper()} {j + 1:03d} SRL", company_tax_code(20_000_000 + j)))
            sink.add("ra_operators", (
                oid, cid, "odr", f"ODR {city.upper()} {j + 1:03d} SRL",
                company_tax_code(20_000_000 + j), f"odr-{code.lower()}-{j}@scale.test", "active",
                (end - timedelta(days=365)).date().isoformat(),
                (end + timedelta(days=3 * 365)).date().isoformat(), None, None, None,
                epoch, epoch))
        chambers.append({"id": cid, "code": code, "desks": desks, "staff": staff,
                         "companies": [], "cum": None, "operators": operators})

    # Companies, in proportion to the chambers' share, skewed within each chamber.
    n_companies = max(105, n // 40)
    company_rows = []
    for k, ch in enumerate(chambers):
        count = max(1, round(n_companies * share[k]))
        for j in range(count):
            i = len(company_rows)
            cid = ids.at(start - timedelta(days=20))
            name = f"{rng.choice(SURNAMES).replace('_', ' ')} {rng.choice(SECTORS)} {rng.choice(FORMS)}"
            tax = company_tax_code(i)
            sink.add("companies", (cid, tax, tax, name, "active", epoch, epoch, "2010-01-01"))
            site = ids.at(start - timedelta(days=20))
            sink.add("sites", (site, cid, "SEDE", "head_office", ch["code"], f"{100000 + i}",
                               f"Via dell'Industria {j + 1}", "00100", CITY.get(ch["code"], ch["code"]),
                               epoch, epoch))
            user = ids.at(start - timedelta(days=20))
            email = f"company-{i}@scale.test"
            sink.add("users", (user, email, f"Referente {name}", "!", "company", None, 1, epoch,
                               None))
            sink.add("user_companies", (user, cid, "registration", epoch))
            company = {"id": cid, "site": site, "user": user, "email": email, "name": name,
                       "models": []}
            ch["companies"].append(company)
            company_rows.append(company)
        ch["cum"] = cumulative(zipf_weights(len(ch["companies"]), 1.0))
    chamber_cum = cumulative(share)
    type_cum = cumulative([w for _, w in TYPES])

    signature = json.dumps({"valid": True, "layers": 1, "signers": [{
        "subject": "CN=Mario Rossi", "tax_code": "RSSMRA80A01H501U", "issuer": "Prova CA",
        "serial": "01", "signing_time": None, "not_after": "2030-01-01", "valid": True}],
        "verified_at": epoch})
    audit = AuditChain(sink)
    protocol = {}
    cert_seq = {}
    plan_certs = []
    per_day = n / DAYS
    made = 0
    for day in range(DAYS):
        today = start + timedelta(days=day)
        age = DAYS - day  # days before the end
        count = int(per_day * (day + 1)) - int(per_day * day)
        times = sorted(rng.randrange(7 * 3600, 19 * 3600) for _ in range(count))
        for secs in times:
            made += 1
            ch = chambers[pick(rng, chamber_cum)]
            company = ch["companies"][pick(rng, ch["cum"])]
            desk, officer = ch["desks"][rng.randrange(len(ch["desks"]))]
            created = today + timedelta(seconds=secs)
            ptype = TYPES[pick(rng, type_cum)][0]
            r = rng.random()
            if age <= 2 and r < 0.25:
                status = "draft"
            elif age <= 3 and r < 0.6:
                status = "sent"
            elif age <= 10 and r < 0.3:
                status = "in_review"
            elif age <= 3 and r < 0.7:
                status = "to_rectify"
            else:
                status = "approved" if r < 0.955 else ("rejected" if r < 0.99 else "withdrawn")
            if not company["models"] or rng.random() < 0.2:
                mid = ids.at(created - timedelta(minutes=30))
                sink.add("base_models", (mid, company["id"], company["site"], ptype, "{}", 1,
                                         rng.choice(CONSIGNEES), company["user"],
                                         instant(created - timedelta(minutes=30)), instant(created)))
                company["models"].append(mid)
                if len(company["models"]) > 8:
                    company["models"].pop(0)
            mid = company["models"][-1]
            pid = ids.at(created)
            sent = None if status == "draft" else created + timedelta(minutes=5)
            closed = None
            if status in ("approved", "rejected", "withdrawn"):
                closed = sent + timedelta(hours=rng.randrange(1, 60))
                if closed > end:
                    closed = end - timedelta(minutes=1)
            year = (sent or created).year
            number = None
            if sent:
                key = (ch["id"], year)
                protocol[key] = protocol.get(key, 0) + 1
                number = f"{ch['code']}/{year}/{protocol[key]:07d}"
            assigned = officer if status in ("in_review", "approved", "rejected", "to_rectify") else None
            consignee = rng.choice(CONSIGNEES)
            blob = blob_keys[rng.randrange(BLOB_CONTENTS)]
            updated = closed or sent or created
            sink.add("practices", (
                pid, ch["id"], desk, company["id"], company["site"], mid, 1,
                blob, ptype, status, consignee, "blank_paper", 1 if ptype == "certificate_of_origin" else 0,
                blob, "modello.xml.p7m", signature, "RSSMRA80A01H501U",
                None if status == "draft" else 1500 + 500 * rng.randrange(3), number,
                year if sent else None, instant(sent) if sent else None,
                instant(closed) if closed else None, company["user"], instant(created),
                instant(updated), assigned, instant(sent) if assigned else None,
                instant(sent + timedelta(hours=24)) if status == "to_rectify" else None,
                "missing_invoice" if status == "to_rectify" else None,
                "documenti non conformi" if status == "rejected" else None))
            if not company.get("dealt"):
                # The company's first practice for its chamber, as `practice::create` records it.
                company["dealt"] = True
                sink.add("chamber_companies", (ch["id"], company["id"]))
                # Its user is now one the chamber manages (`accounts::managed_users`).
                sink.add("chamber_company_users", (ch["id"], company["email"], company["user"]))
            for j in range(1 + (rng.random() < 0.4)):
                sink.add("practice_attachments", (
                    ids.at(created), pid, blob_keys[rng.randrange(BLOB_CONTENTS)],
                    f"fattura-{made}-{j + 1}.pdf", "application/pdf", 96,
                    "Fattura commerciale", "invoice", company["user"], instant(created)))
            if sent:
                audit.add(instant(sent), company["user"], f"company-{made}@scale.test",
                          ch["id"], "practice.send", "practice", pid)
            if closed and status != "withdrawn":
                action = "practice.approve" if status == "approved" else "practice.reject"
                audit.add(instant(closed), officer, f"officer-{ch['code'].lower()}@scale.test",
                          ch["id"], action, "practice", pid)
            if status == "approved" and ptype == "certificate_of_origin":
                key = (ch["id"], closed.year)
                cert_seq[key] = cert_seq.get(key, 0) + 1
                seq = cert_seq[key]
                cnum = f"C{closed.year % 100:02d}{ch['code']}{seq:07d}"
                code = "".join(CODE_ALPHABET[(seq * 7 + i * 13 + made) % 32] for i in range(10))
                legacy = hashlib.sha256(f"{cnum}:{code}".encode()).hexdigest()
                pdf = blob_keys[rng.randrange(BLOB_CONTENTS)]
                sink.add("certificates", (
                    ids.at(closed), pid, ch["id"], cnum, closed.year, seq, legacy, "valid",
                    closed.date().isoformat(), instant(closed), company["name"],
                    rng.choice(COUNTRIES), "IT", "blank_paper", pdf, pdf))
                if len(plan_certs) < 200 or rng.random() < 0.0005:
                    plan_certs.append((cnum, code))
        if day % 365 == 364:
            print(f"{made} practices, {time.time() - started:.0f} s", file=sys.stderr)

    # Devices: about one per 25 practices, in the chambers' proportion, with their deliveries.
    states = (("issued", 0.7), ("in_cabinet", 0.15), ("blank", 0.08), ("in_operator_box", 0.05),
              ("lost", 0.02))
    state_cum = cumulative([w for _, w in states])
    n_devices = max(105, n // 25)
    for k, ch in enumerate(chambers):
        count = max(1, round(n_devices * share[k]))
        delivery = None
        # The chamber's stock counters, as a delivery and the moves keep them.
        stock = {}
        for j in range(count):
            if j % 1000 == 0:
                when = start + timedelta(days=j * DAYS // max(count, 1))
                delivery = ids.at(when)
                sink.add("dev_deliveries", (delivery, ch["id"], f"consegna-{j // 1000 + 1}.csv",
                                            hashlib.sha256(delivery.encode()).hexdigest(),
                                            min(1000, count - j), ch["staff"]["master-rao"],
                                            instant(when)))
            state = states[pick(rng, state_cum)][0]
            kind = "smart_card" if j % 5 else "token"
            sink.add("dev_devices", (ids.at(when), ch["id"], f"{ch['code']}{8000000000 + j:010d}",
                                     kind, f"L{j // 1000 + 1:04d}",
                                     delivery, state, None, when.date().isoformat(), instant(when)))
            stock[(state, kind)] = stock.get((state, kind), 0) + 1
        for (state, kind), devices in sorted(stock.items()):
            sink.add("dev_stock", (ch["id"], state, "", kind, devices))

    # The restricted archive: each operator's mandate documents, kept a step at a time (the
    # documents of one step at one instant, as `archive::store` keeps them in a transaction).
    doc_rng = random.Random(a.seed + 1)
    steps = (("mandate_letter", "acceptance_form", "data_processing_authorisation",
              "privacy_notice"), ("form_e", "form_f", "staff_sheet"),
             ("mandate_letter", "acceptance_form", "privacy_notice"))
    for ch in chambers:
        for oid, name, tax in ch["operators"]:
            for step in steps[:doc_rng.randint(1, 3)]:
                when = start + timedelta(seconds=doc_rng.randrange(DAYS * 86400))
                for kind in step:
                    sink.add("ra_documents", (
                        ids.at(when), oid, ch["id"], kind, f"{kind}.pdf", "application/pdf",
                        blob_keys[doc_rng.randrange(BLOB_CONTENTS)], 96, "PAdES", tax,
                        f"CN={name}", instant(when)))

    for (chamber_id, year), v in protocol.items():
        sink.add("counters", (f"protocol:{chamber_id}:{year}", v))
    for (chamber_id, year), v in cert_seq.items():
        sink.add("counters", (f"certificate:{chamber_id}:{year}", v))
    sink.add("counters", ("audit", audit.seq))

    # The people the bench logs in as: the largest chamber's first officer, auditor and master
    # RAO, and its largest company's user; each gets a session with a known cookie token.
    big = chambers[0]
    expires = instant(end + timedelta(days=3650))
    plan = {"practices": n, "sessions": {}, "certificates": plan_certs,
            "chamber": big["code"]}
    people = {"officer": big["desks"][0][1], "company": big["companies"][0]["user"],
              "auditor": big["staff"]["auditor"], "master-rao": big["staff"]["master-rao"],
              "chamber-admin": big["staff"]["chamber-admin"]}
    for role, uid in people.items():
        token = f"scale-bench-{role}-{a.seed}"
        sink.add("sessions", (hashlib.sha256(token.encode()).hexdigest(), uid,
                              f"csrf-{role}", None, epoch, instant(end + timedelta(days=3650)),
                              expires))
        plan["sessions"][role] = token
    sink.close()
    with open(a.plan, "w") as f:
        json.dump(plan, f, indent=1)
    print(f"{made} practices, {audit.seq} audit entries, {sum(cert_seq.values())} certificates, "
          f"{len(company_rows)} companies in {time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
