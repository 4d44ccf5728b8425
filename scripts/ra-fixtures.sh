#!/usr/bin/env bash
# Makes the signed mandate documents of the registration-authority tests with the openssl
# command (OpenSSL 3, the oracle: our code never signs) and Python 3 (standard library, for the
# hand-written PDFs), and the unsigned letter and notice the Manager signs. A throwaway CA is
# made on every run; its root goes with the fixtures so the tests can trust it.
# Output: crates/sportello-core/tests/fixtures/ra/.
#
#   scripts/ra-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/sportello-core/tests/fixtures/ra"
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
new_certs_dir = .
default_md = sha256
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
CNF

issue() { # NAME ISSUER SUBJECT EXT SERIAL
  local name=$1 issuer=$2 subj=$3 ext=$4 serial=$5
  openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key"
  : > index.txt; echo "$serial" > serial.txt
  openssl req -new -key "$name.key" -subj "$subj" -config ca.cnf -out "$name.csr"
  if [ "$issuer" = self ]; then
    openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$name.key" -cert /dev/null -preserveDN \
      -startdate 20200101000000Z -enddate 20450101000000Z -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  else
    openssl ca -batch -notext -config ca.cnf -keyfile "$issuer.key" -cert "$issuer.pem" -preserveDN \
      -startdate 20200101000000Z -enddate 20450101000000Z -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  fi
}

issue root self "/C=IT/O=Sportello RA Test/CN=Sportello RA Test Root CA" root_ext 01
issue other self "/C=IT/O=Someone Else/CN=Untrusted RA Root" root_ext 02
# The collaborators of the ODR organisation, its legal representative and the Manager.
issue rossi root "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI" signer_ext 1001
issue verdi root "/C=IT/SN=VERDI/GN=LAURA/serialNumber=TINIT-VRDLRA85M41D969U/CN=LAURA VERDI" signer_ext 1002
issue martini root "/C=IT/SN=MARTINI/GN=ANTONIO/serialNumber=TINIT-MRTNTN23M02D969P/CN=ANTONIO MARTINI" signer_ext 1003
issue conti root "/C=IT/SN=CONTI/GN=ROBERTO/serialNumber=TINIT-CNTRRT70A01D969P/CN=ROBERTO CONTI" signer_ext 1004
issue stranger other "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI" signer_ext 1005

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
    open(out_path, "wb").write(pdf.replace(b"Modulo di accettazione", b"Modulo di accettaziOne", 1))

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
# cades TEXT SIGNER OUT: an attached CAdES-BES envelope (.p7m) by SIGNER.
cades() {
  printf '%s\n' "$1" > content.txt
  openssl cms -sign -cades -nodetach -binary -md sha256 -in content.txt -signer "$2.pem" -inkey "$2.key" \
    -outform DER -out "$3"
}

pades "Modulo di accettazione - CANTIERI DEL LEVANTE S.R.L." martini $F/acceptance_org.pdf
pades "Autorizzazione al trattamento dei dati - CANTIERI DEL LEVANTE" martini $F/data_processing_org.pdf
pades "Modulo di accettazione - MARIO ROSSI" rossi $F/acceptance_rossi.pdf
cades "Modulo di accettazione - LAURA VERDI" verdi $F/acceptance_verdi.p7m
# The Manager's documents, with the unsigned PDFs the office prepares for his queue.
pades "Lettera di incarico ODR - il Dirigente" conti $F/mandate_letter.pdf $F/lettera-incarico.pdf
pades "Comunicazione di revoca del mandato - il Dirigente" conti $F/revocation_notice.pdf $F/comunicazione-revoca.pdf
# Wrong on purpose: signed by someone else, by an untrusted CA, altered after signing, unsigned.
pades "Modulo di accettazione - MARIO ROSSI" verdi $F/acceptance_rossi_signed_by_verdi.pdf
cades "Modulo di accettazione - MARIO ROSSI" stranger $F/acceptance_untrusted.p7m
python3 pdf.py tamper $F/acceptance_org.pdf $F/acceptance_org_tampered.pdf
python3 pdf.py prepare "Modulo di accettazione non firmato" $F/unsigned.pdf covered.bin
printf 'Carta d identita n. CA12345AB - scansione di prova\n' > $F/identity_scan.txt
cp root.pem $F/root.pem

# The oracle agrees: every CAdES fixture verifies with OpenSSL except the untrusted one.
openssl cms -verify -binary -inform DER -in $F/acceptance_verdi.p7m -CAfile root.pem -purpose any -out /dev/null 2>/dev/null
! openssl cms -verify -binary -inform DER -in $F/acceptance_untrusted.p7m -CAfile root.pem -purpose any -out /dev/null 2>/dev/null

rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; cp -r $F "$OUT"
echo "fixtures written to crates/sportello-core/tests/fixtures/ra ($(ls "$OUT" | wc -l) files)"
