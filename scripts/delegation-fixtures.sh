#!/usr/bin/env bash
# Makes the delegations of the delegation tests (issue 15, item 2) with the openssl command
# (OpenSSL 3, the oracle: our code never signs) and Python 3 (standard library, for the
# hand-written PDF), the way scripts/ra-manager-fixtures.sh makes the Manager's documents: a
# delegation for the demo company Ligure Export signed with the test PKI of scripts/test-pki.sh
# (trusted by the tests and the demo) by its legal representative Giulia Bianchi (as .p7m and as
# PAdES) and by Paolo Verdi (no representative of it); the PAdES delegation altered after
# signing; a signed text that is no PDF; and, from a throwaway CA whose root and CRL go with
# the fixtures (the test PKI's CA key is not kept), the delegation signed by a revoked and by
# an expired certificate of Giulia's.
# Output: crates/sportello/tests/fixtures/delegation/.
#
#   scripts/delegation-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/sportello/tests/fixtures/delegation"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OPENSSL_CONF=/dev/null

cat > ca.cnf <<'CNF'
[ca]
default_ca = ca_any
[ca_any]
database = index.txt
serial = serial.txt
crlnumber = crlnumber.txt
new_certs_dir = .
default_md = sha256
default_crl_days = 7000
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
countryName = optional
commonName = optional
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = placeholder
[root_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signer_ext]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[crl_ext]
authorityKeyIdentifier = keyid
CNF

: > index.txt; echo 01 > crlnumber.txt
issue() { # NAME ISSUER SUBJECT EXT SERIAL [START END]
  local name=$1 issuer=$2 subj=$3 ext=$4 serial=$5 start=${6:-20200101000000Z} end=${7:-20450101000000Z}
  openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
  echo "$serial" > serial.txt
  openssl req -new -key "$name.key" -subj "$subj" -config ca.cnf -out "$name.csr"
  if [ "$issuer" = self ]; then
    openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$name.key" -cert /dev/null -preserveDN \
      -startdate "$start" -enddate "$end" -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
    : > index.txt
  else
    openssl ca -batch -notext -config ca.cnf -keyfile "$issuer.key" -cert "$issuer.pem" -preserveDN \
      -startdate "$start" -enddate "$end" -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  fi
}

person() { echo "/C=IT/SN=$2/GN=$1/serialNumber=TINIT-$3/CN=$1 $2"; }
issue root self "/C=IT/O=Sportello Delegation Test/CN=Sportello Delegation Test Root CA" root_ext 01
issue giulia_old root "$(person GIULIA BIANCHI BNCGLI85M41D969D)" signer_ext 3003
issue giulia_expired root "$(person GIULIA BIANCHI BNCGLI85M41D969D)" signer_ext 3004 \
  20200101000000Z 20210101000000Z

# Giulia's old certificate is revoked since 01/01/2021, so it is revoked at any time the tests set.
openssl ca -config ca.cnf -keyfile root.key -cert root.pem -revoke giulia_old.pem -crl_reason keyCompromise 2>/dev/null
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "R" { $3 = "210101000000Z,keyCompromise" } { print }' index.txt > index.new
mv index.new index.txt
openssl ca -config ca.cnf -keyfile root.key -cert root.pem -gencrl -crlexts crl_ext \
  -crl_lastupdate 20210101000000Z -crl_nextupdate 20450101000000Z -out root.crl.pem 2>/dev/null

cat > pdf.py <<'PY'
"""A tiny deterministic PDF with one signature field, prepared and filled around OpenSSL."""
import sys
CONTENTS_BYTES = 8192
BR = b"[0 0000000000 0000000000 0000000000]"
LINES = [
    "Delega ad agire per l'impresa LIGURE EXPORT S.R.L. (01879020517)",
    "La sottoscritta Giulia Bianchi, legale rappresentante, delega",
    "Marta Neri (NREMRT90A41D969G) a operare per l'impresa su Sportello.",
]

def build(signed):
    text = b"".join(
        b"BT /F1 12 Tf 72 %d Td (" % (760 - 20 * i) + line.encode("latin-1").replace(b"'", b"\\'")
        + b") Tj ET\n" for i, line in enumerate(LINES))
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    if signed:
        catalog += b" /AcroForm << /Fields [5 0 R] /SigFlags 3 >>"
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
    objs = [catalog + b" >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page + (b" /Annots [5 0 R] >>" if signed else b" >>"),
            b"<< /Length %d >>\nstream\n" % len(text) + text + b"endstream"]
    if signed:
        objs += [
            b"<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 /Rect [0 0 0 0] /P 3 0 R /T (Firma1) /V 6 0 R >>",
            b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20261120100000+01'00')"
            b" /ByteRange " + BR + b" /Contents <" + b"0" * (2 * CONTENTS_BYTES) + b"> >>",
        ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out

def plain(pdf_path):
    open(pdf_path, "wb").write(build(False))

def prepare(pdf_path, covered_path):
    pdf = build(True)
    start = pdf.index(b"/Contents <") + len(b"/Contents ")
    end = pdf.index(b">", start) + 1
    br = b"[0 %d %d %d]" % (start, end, len(pdf) - end)
    at = pdf.index(BR)
    pdf[at : at + len(BR)] = br.ljust(len(BR))
    open(pdf_path, "wb").write(pdf)
    open(covered_path, "wb").write(pdf[:start] + pdf[end:])

def fill(pdf_path, sig_path, out_path):
    pdf = bytearray(open(pdf_path, "rb").read())
    sig = open(sig_path, "rb").read().hex().encode()
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    pdf[start : start + len(sig)] = sig
    open(out_path, "wb").write(pdf)

def tamper(in_path, out_path):
    pdf = open(in_path, "rb").read()
    open(out_path, "wb").write(pdf.replace(b"Marta Neri", b"Marta Nera", 1))

if __name__ == "__main__":
    {"plain": plain, "prepare": prepare, "fill": fill, "tamper": tamper}[sys.argv[1]](*sys.argv[2:])
PY

F=fixtures; mkdir -p $F
PKI="$ROOT/crates/sportello-core/tests/fixtures/pki"
for who in giulia paolo; do cp "$PKI/$who.pem" "$PKI/$who.key" .; done
cp "$PKI/inter.pem" test_inter.pem
# The test PKI's intermediate goes in the envelope, so the path to its root can be built.
chain() { case $1 in giulia|paolo) echo test_inter.pem ;; *) echo root.pem ;; esac; }
# cades FILE SIGNER OUT: FILE in an attached CAdES-BES envelope (.p7m) by SIGNER.
cades() {
  openssl cms -sign -cades -nodetach -binary -md sha256 -in "$1" -signer "$2.pem" -inkey "$2.key" \
    -certfile "$(chain "$2")" -outform DER -out "$3"
}
# pades SIGNER OUT: the delegation signed (PAdES, CAdES-detached over the /ByteRange) by SIGNER.
pades() {
  python3 pdf.py prepare u.pdf covered.bin
  openssl cms -sign -binary -cades -md sha256 -in covered.bin -signer "$1.pem" -inkey "$1.key" \
    -certfile "$(chain "$1")" -outform DER -out sig.cms
  python3 pdf.py fill u.pdf sig.cms "$2"
}

python3 pdf.py plain $F/delega.pdf
cades $F/delega.pdf giulia $F/delega_giulia.pdf.p7m
pades giulia $F/delega_giulia_pades.pdf
# Wrong on purpose: no representative, revoked, expired, altered, not a PDF.
cades $F/delega.pdf paolo $F/delega_paolo.pdf.p7m
cades $F/delega.pdf giulia_old $F/delega_giulia_revoked.pdf.p7m
cades $F/delega.pdf giulia_expired $F/delega_giulia_expired.pdf.p7m
python3 pdf.py tamper $F/delega_giulia_pades.pdf $F/delega_tampered.pdf
printf 'Delega in un file di testo: non un PDF.\n' > note.txt
cades note.txt giulia $F/nota_giulia.txt.p7m
cp root.pem root.crl.pem $F/

# The oracle agrees: the envelope verifies, and the CRL lists the revoked certificate.
openssl cms -verify -binary -inform DER -in $F/delega_giulia.pdf.p7m -CAfile "$PKI/root.pem" -purpose any -out /dev/null 2>/dev/null
! openssl verify -crl_check -CAfile root.pem -CRLfile root.crl.pem giulia_old.pem >/dev/null 2>&1

rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; cp -r $F "$OUT"
echo "fixtures written to crates/sportello/tests/fixtures/delegation ($(ls "$OUT" | wc -l) files)"
