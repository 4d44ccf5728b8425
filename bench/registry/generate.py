#!/usr/bin/env python3
"""Generate a registry extract shaped like a national one, for the import benchmark.

    python3 bench/registry/generate.py ROWS [--seed N] [--invalid PERCENT] > extract.csv

Rows follow the import contract (crates/sportello-core/src/registry/import.rs): `;`-separated,
one row per site, the company's fields repeated on each. The data are synthetic but valid:
personal tax codes (16 characters, with check character and a little omocodia) for sole
traders, 11-digit codes with a Luhn digit for companies, REA numbers per province, about
1.3 sites per company. A local unit is written up to a few thousand companies after its head
office, so a company's rows are not adjacent. A small share of rows (0.3% by default) is
corrupted, one bad field each, to exercise the rejection path.

Standard library only; the algorithms follow the tax-code rules (check character and Luhn digit).
"""

import argparse
import heapq
import random
import sys

# the tax-code rules: values of characters in odd positions (A-Z; digits as A-J).
ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]
MONTHS = "ABCDEHLMPRST"
OMOCODIA = "LMNPQRSTUV"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Province sigla, weight (roughly the number of registered businesses), main town, postcode.
PROVINCES = [
    ("RM", 40, "ROMA", "00184"), ("MI", 38, "MILANO", "20121"), ("NA", 30, "NAPOLI", "80133"),
    ("TO", 22, "TORINO", "10121"), ("BA", 15, "BARI", "70121"), ("BS", 12, "BRESCIA", "25121"),
    ("PA", 10, "PALERMO", "90133"), ("BG", 10, "BERGAMO", "24121"), ("SA", 12, "SALERNO", "84121"),
    ("CT", 10, "CATANIA", "95121"), ("FI", 11, "FIRENZE", "50122"), ("VR", 10, "VERONA", "37121"),
    ("PD", 10, "PADOVA", "35122"), ("TV", 9, "TREVISO", "31100"), ("VI", 8, "VICENZA", "36100"),
    ("VE", 8, "VENEZIA", "30124"), ("BO", 10, "BOLOGNA", "40121"), ("GE", 8, "GENOVA", "16121"),
    ("MB", 7, "MONZA", "20900"), ("VA", 7, "VARESE", "21100"), ("CE", 9, "CASERTA", "81100"),
    ("LE", 7, "LECCE", "73100"), ("CS", 6, "COSENZA", "87100"), ("MO", 7, "MODENA", "41121"),
    ("CA", 5, "CAGLIARI", "09124"), ("SS", 5, "SASSARI", "07100"), ("SP", 2, "LA SPEZIA", "19121"),
    ("AO", 1, "AOSTA", "11100"), ("BZ", 6, "BOLZANO", "39100"), ("TN", 5, "TRENTO", "38122"),
    ("PG", 6, "PERUGIA", "06121"), ("AN", 4, "ANCONA", "60121"), ("AQ", 3, "L'AQUILA", "67100"),
    ("CB", 2, "CAMPOBASSO", "86100"), ("PZ", 3, "POTENZA", "85100"), ("RC", 5, "REGGIO CALABRIA", "89121"),
    ("UD", 4, "UDINE", "33100"), ("TS", 2, "TRIESTE", "34121"), ("FC", 4, "FORLÌ", "47121"),
    ("SU", 2, "CARBONIA", "09013"), ("CI", 1, "IGLESIAS", "09016"),
]
OTHER = ["AL", "AT", "BI", "CN", "NO", "VB", "VC", "CO", "CR", "LC", "LO", "MN", "PV", "SO",
         "BL", "RO", "GO", "PN", "IM", "SV", "FE", "PC", "PR", "RA", "RE", "RN", "AR", "GR",
         "LI", "LU", "MS", "PI", "PO", "PT", "SI", "TR", "AP", "FM", "MC", "PU", "FR", "LT",
         "RI", "VT", "CH", "PE", "TE", "IS", "AV", "BN", "BR", "BT", "FG", "TA", "MT", "CZ",
         "KR", "VV", "AG", "CL", "EN", "ME", "RG", "SR", "TP", "NU", "OR"]
PROVINCES += [(p, 3, "COMUNE DI " + p, "%05d" % (10000 + 1000 * i)) for i, p in enumerate(OTHER)]

PLACES = ["H501", "F205", "F839", "L219", "A662", "D969", "G273", "C351", "D612", "L736", "Z611", "Z404"]
WORDS = ["ROMA", "GARIBALDI", "MAZZINI", "CAVOUR", "VERDI", "DANTE", "MARCONI", "MATTEOTTI",
         "LIBERTA", "REPUBBLICA", "EUROPA", "XX SETTEMBRE", "VITTORIO VENETO", "PIAVE", "MILANO",
         "TORINO", "VENEZIA", "DEI MILLE", "GRAMSCI", "COLOMBO", "NAZIONALE", "DELLA PACE"]
NAMES = ["LIGURE", "ADRIATICA", "ALPINA", "TIRRENA", "PADANA", "EXPORT", "MECCANICA", "TESSILE",
         "ALIMENTARE", "LOGISTICA", "COSTRUZIONI", "IMPIANTI", "SERVIZI", "COMMERCIALE", "AGRICOLA",
         "NAUTICA", "INFORMATICA", "EDILE", "TRASPORTI", "MEDITERRANEA"]
FORMS = ["S.R.L.", "S.P.A.", "S.N.C.", "S.A.S.", "S.R.L.S.", "SOC. COOP."]
SURNAMES = ["ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI",
            "MARINO", "GRECO", "BRUNO", "GALLO", "CONTI", "DE LUCA", "COSTA", "GIORDANO"]
GIVEN = ["MARIO", "GIUSEPPE", "ANNA", "MARIA", "LUCA", "FRANCESCA", "PAOLO", "GIULIA", "MARCO",
         "SARA", "ANDREA", "CHIARA", "STEFANO", "ELENA", "ROBERTO", "LAURA"]
HEADER = ("codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;"
          "indirizzo;cap;comune;stato;diritto_annuale_pagato")


def check_character(first15):
    """the tax-code rules: the check character over the 15 characters as written."""
    total = 0
    for i, c in enumerate(first15):
        index = ord(c) - (48 if c.isdigit() else 65)
        total += ODD[index] if i % 2 == 0 else index
    return chr(65 + total % 26)


def luhn_digit(first10):
    """the Luhn check digit of numeric tax codes and VAT numbers: the Luhn check digit of the first 10 digits."""
    total = 0
    for i, c in enumerate(first10):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def personal_code(index, rng):
    letters = ""
    n = index
    for _ in range(6):
        letters += LETTERS[n % 26]
        n //= 26
    day = rng.randint(1, 28) + (40 if rng.random() < 0.4 else 0)
    body = "%s%02d%s%02d%s" % (letters, rng.randint(0, 99), rng.choice(MONTHS), day, rng.choice(PLACES))
    if rng.random() < 0.002:  # omocodia, level 1: the last digit becomes a letter
        body = body[:14] + OMOCODIA[int(body[14])]
    return body + check_character(body)


def entity_code(serial, rng):
    first10 = "%07d%03d" % (serial, rng.randint(1, 100))
    return first10 + luhn_digit(first10)


def corrupt(fields, rng):
    """One bad field, of the kinds the import must reject."""
    kind = rng.randrange(8)
    if kind == 0:
        cf = fields[0]
        fields[0] = cf[:-1] + ("A" if cf[-1] != "A" else "B") if len(cf) == 16 else cf[:-1] + str((int(cf[-1]) + 1) % 10)
    elif kind == 1:
        fields[3] = "XX"
    elif kind == 2:
        fields[4] = "12A4"
    elif kind == 3:
        fields[5] = "SL"
    elif kind == 4:
        fields[7] = "161"
    elif kind == 5:
        fields[9] = "SOSPESA"
    elif kind == 6:
        fields[10] = "2024 20x5"
    else:
        fields.pop()
    return fields


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invalid", type=float, default=0.3, help="percent of corrupted rows")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    weights = [w for _, w, _, _ in PROVINCES]
    out = sys.stdout
    out.write(HEADER + "\n")
    written = 0
    company = 0
    pending = []  # (due company index, tie-breaker, row) for local units written later
    rea_next = {}

    def emit(fields):
        nonlocal written
        if rng.random() * 100 < args.invalid:
            fields = corrupt(list(fields), rng)
        out.write(";".join(fields) + "\n")
        written += 1

    while written < args.rows:
        while pending and pending[0][0] <= company and written < args.rows:
            emit(heapq.heappop(pending)[2])
        if written >= args.rows:
            break
        company += 1
        personal = rng.random() < 0.55
        if personal:
            cf = personal_code(company, rng)
            vat = entity_code((5_000_000 + company) % 10_000_000, rng) if rng.random() < 0.9 else ""
            name = "%s %s" % (rng.choice(SURNAMES), rng.choice(GIVEN))
        else:
            cf = entity_code(company, rng)
            vat = cf if rng.random() < 0.97 else ""
            name = "%s %s %d %s" % (rng.choice(NAMES), rng.choice(NAMES), company % 997, rng.choice(FORMS))
        status = "ATTIVA" if rng.random() < 0.9 else "CESSATA"
        first = rng.choice([2019, 2020, 2021, 2022, 2023, 2024])
        fees = " ".join(str(y) for y in range(first, 2026) if rng.random() < 0.9)
        reas = {}

        def site(kind, province):
            sigla, _, town, cap = province
            if sigla not in reas:
                rea_next[sigla] = rea_next.get(sigla, 0) + rng.randint(1, 3)
                reas[sigla] = str(rea_next[sigla])
            address = "VIA %s %d" % (rng.choice(WORDS), rng.randint(1, 250))
            return [cf, vat, name, sigla, reas[sigla], kind, address, cap, town, status, fees]

        head = rng.choices(PROVINCES, weights)[0]
        emit(site("SEDE", head))
        units = 0
        while rng.random() < 0.23 and units < 50:  # about 0.3 local units per company
            units += 1
            province = head if rng.random() < 0.6 else rng.choices(PROVINCES, weights)[0]
            due = company + rng.randint(0, 3000)
            heapq.heappush(pending, (due, rng.random(), site("UL", province)))
    out.flush()


if __name__ == "__main__":
    main()
