#!/usr/bin/env bash
# Makes the documents of the Manager's signing-queue tests with the openssl command (OpenSSL 3,
# the oracle: our code never signs) and Python 3 (standard library, for the hand-written PDFs):
# a mandate letter and a revocation notice as the office prepares them and as signed by the
# Manager (Roberto Conti, tax code in serialNumber TINIT-…), the same letter signed by someone
# else, by the Manager's revoked certificate (listed in the CA's CRL, kept with the fixtures),
# altered after signing, and not signed at all. A throwaway CA is made on every run; its root
# goes with the fixtures. Output: crates/sportello-core/tests/fixtures/ra-manager/.
#
#   scripts/ra-manager-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/sportello-core/tests/fixtures/ra-manager"
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
issue() { # NAME ISSUER SUBJECT EXT SERIAL
  local name=$1 issuer=$2 subj=$3 ext=$4 serial=$5
  openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key"
  echo "$serial" > serial.txt
  openssl req -new -key "$name.key" -subj "$subj" -config ca.cnf -out "$name.csr"
  if [ "$issuer" = self ]; then
    openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$name.key" -cert /dev/null -preserveDN \
      -startdate 20200101000000Z -enddate 20450101000000Z -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
    : > index.txt
  else
    openssl ca -batch -notext -config ca.cnf -keyfile "$issuer.key" -cert "$issuer.pem" -preserveDN \
      -startdate 20200101000000Z -enddate 20450101000000Z -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  fi
}

issue root self "/C=IT/O=Sportello RA Manager Test/CN=Sportello RA Manager Test Root CA" root_ext 01
# The Manager (Dirigente), a second certificate of theirs that the CA revoked, and an officer.
issue conti root "/C=IT/SN=CONTI/GN=ROBERTO/serialNumber=TINIT-CNTRRT70A01D969P/CN=ROBERTO CONTI" signer_ext 2001
issue conti_old root "/C=IT/SN=CONTI/GN=ROBERTO/serialNumber=TINIT-CNTRRT70A01D969P/CN=ROBERTO CONTI" signer_ext 2002
issue galli root "/C=IT/SN=GALLI/GN=LUCA/serialNumber=TINIT-GLLLCU75C10D969K/CN=LUCA GALLI" signer_ext 2003

# The old certificate is revoked since 01/01/2021, so it is revoked at any time the tests set.
openssl ca -config ca.cnf -keyfile root.key -cert root.pem -revoke conti_old.pem -crl_reason keyCompromise 2>/dev/null
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "R" { $3 = "210101000000Z,keyCompromise" } { print }' index.txt > index.new
mv index.new index.txt
openssl ca -config ca.cnf -keyfile root.key -cert root.pem -gencrl -crlexts crl_ext \
  -crl_lastupdate 20210101000000Z -crl_nextupdate 20450101000000Z -out root.crl.pem 2>/dev/null

cat > pdf.py <<'PY'
"""A tiny deterministic PDF with one signature field, prepared and filled around OpenSSL."""
import sys
CONTENTS_BYTES = 12288
BR = b"[0 0000000000 0000000000 0000000000]"

def build(title):
    stream = b"BT /F1 14 Tf 72 760 Td (" + title.encode("latin-1") + b") Tj ET\n"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /SigFlags 3 >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
        b" /Annots [5 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 /Rect [0 0 0 0] /P 3 0 R /T (Firma1) /V 6 0 R >>",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20260301120000+01'00')"
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

def prepare(title, pdf_path, covered_path):
    pdf = build(title)
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
    open(out_path, "wb").write(pdf.replace(b"Lettera di incarico", b"Lettera di incaricO", 1))

if __name__ == "__main__":
    {"prepare": prepare, "fill": fill, "tamper": tamper}[sys.argv[1]](*sys.argv[2:])
PY

F=fixtures; mkdir -p $F
# pades TITLE SIGNER OUT [UNSIGNED]: a PDF signed (PAdES, CAdES-detached over the /ByteRange)
# by SIGNER; UNSIGNED, when given, keeps the document as prepared, before the signature.
pades() {
  python3 pdf.py prepare "$1" u.pdf covered.bin
  openssl cms -sign -binary -cades -md sha256 -in covered.bin -signer "$2.pem" -inkey "$2.key" \
    -outform DER -out sig.cms
  python3 pdf.py fill u.pdf sig.cms "$3"
  if [ -n "${4:-}" ]; then cp u.pdf "$4"; fi
}
# cades FILE SIGNER OUT: FILE in an attached CAdES-BES envelope (.p7m) by SIGNER.
cades() {
  openssl cms -sign -cades -nodetach -binary -md sha256 -in "$1" -signer "$2.pem" -inkey "$2.key" \
    -outform DER -out "$3"
}

LETTER="Lettera di incarico - firmata digitalmente dal Dirigente"
python3 pdf.py prepare "$LETTER" $F/letter.pdf covered.bin
pades "$LETTER" conti $F/letter_signed.pdf
cades $F/letter.pdf conti $F/letter.pdf.p7m
pades "Comunicazione di revoca del mandato - il Dirigente" conti $F/notice_signed.pdf $F/notice.pdf
# Wrong on purpose: signed by someone else, by the revoked certificate, altered, unsigned.
pades "$LETTER" galli $F/letter_signed_by_galli.pdf
pades "$LETTER" conti_old $F/letter_signed_revoked.pdf
python3 pdf.py tamper $F/letter_signed.pdf $F/letter_tampered.pdf
cp root.pem $F/root.pem
cp root.crl.pem $F/root.crl.pem

# The oracle agrees: the envelope verifies, and the CRL lists the old certificate only.
openssl cms -verify -binary -inform DER -in $F/letter.pdf.p7m -CAfile root.pem -purpose any -out /dev/null 2>/dev/null
openssl verify -crl_check -CAfile root.pem -CRLfile root.crl.pem conti.pem >/dev/null
! openssl verify -crl_check -CAfile root.pem -CRLfile root.crl.pem conti_old.pem >/dev/null 2>&1

rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; cp -r $F "$OUT"
echo "fixtures written to crates/sportello-core/tests/fixtures/ra-manager ($(ls "$OUT" | wc -l) files)"
