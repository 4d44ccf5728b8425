#!/usr/bin/env bash
# Makes the signature fixtures of crates/firma with the openssl command (OpenSSL 3) and Python 3
# (standard library only, for the hand-written PDFs). Re-runnable: everything is rebuilt from
# scratch in a temporary directory and then copied into crates/firma/tests/fixtures/.
# Keys are random on every run; names, serial numbers, validity periods and contents are fixed.
#
#   scripts/firma-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/firma/tests/fixtures"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

export OPENSSL_CONF=/dev/null
VALID_FROM=20200101000000Z
VALID_TO=20450101000000Z

# --- a minimal CA configuration: `openssl ca` is the only 3.0 command that takes explicit dates ---
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
email_in_dn = no
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
[inter_ext]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer_ext]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.3.76.16.6
[auth_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[keyenc_ext]
basicConstraints = critical, CA:false
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[crl_ext]
authorityKeyIdentifier = keyid
CNF

key_rsa() { openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key"; }
key_ec() { openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -out "$1.key"; }

# issue NAME ISSUER SUBJECT EXTENSION SERIAL [FROM TO]: writes NAME.pem (ISSUER "self" = self-signed).
issue() {
  local name=$1 issuer=$2 subj=$3 ext=$4 serial=$5 from=${6:-$VALID_FROM} to=${7:-$VALID_TO}
  : > index.txt
  echo "$serial" > serial.txt
  openssl req -new -key "$name.key" -subj "$subj" -config ca.cnf -out "$name.csr"
  if [ "$issuer" = self ]; then
    openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$name.key" -cert /dev/null \
      -preserveDN -startdate "$from" -enddate "$to" -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  else
    openssl ca -batch -notext -config ca.cnf -keyfile "$issuer.key" -cert "$issuer.pem" \
      -preserveDN -startdate "$from" -enddate "$to" -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  fi
  openssl x509 -in "$name.pem" -outform DER -out "$name.der"
}

# --- certification authorities ---
key_rsa root 2048
issue root self "/C=IT/O=Sportello Test/CN=Sportello Test Root CA" root_ext 01
key_rsa inter 2048
issue inter root "/C=IT/O=Sportello Test/CN=Sportello Test Qualified CA" inter_ext 02
key_rsa other_root 2048
issue other_root self "/C=IT/O=Someone Else/CN=Untrusted Root CA" root_ext 03

# --- signers (all under the intermediate unless said otherwise) ---
MARIO="/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI"
key_rsa mario 2048
issue mario inter "$MARIO" signer_ext 1001
key_ec laura P-256
issue laura inter "/C=IT/SN=BIANCHI/GN=LAURA/serialNumber=TINIT-BNCLRA92E52F205Y/CN=LAURA BIANCHI" signer_ext 1002
key_ec anna P-384
issue anna inter "/C=IT/SN=ROSSI/GN=ANNA/serialNumber=IT:RSSMRA45C12F20RX/CN=ANNA ROSSI" signer_ext 1003
# CNS-style authentication certificate: the CN holds "CF/card id.hash", and the hash contains "/".
key_rsa cns 2048
issue cns inter "/C=IT/O=Camera di Commercio di Test/CN=RSSMRA80A01H501U\/7420000000000001.AbCdEfGhIjKlMnOpQrStUvWxYz0=" auth_ext 1004
key_rsa expired 2048
issue expired inter "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI SCADUTO" signer_ext 1005 20200101000000Z 20210101000000Z
key_rsa future 2048
issue future inter "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI FUTURO" signer_ext 1006 20400101000000Z 20450101000000Z
key_rsa keyenc 2048
issue keyenc inter "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI CIFRATURA" keyenc_ext 1007
key_rsa weak 1024
issue weak inter "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI 1024" signer_ext 1008
key_rsa revoked 2048
issue revoked inter "/C=IT/SN=ROSSI/GN=MARIO/serialNumber=TINIT-RSSMRA80A01H501U/CN=MARIO ROSSI REVOCATO" signer_ext 1009
key_rsa company 2048
issue company inter "/C=IT/O=ESEMPIO SRL/serialNumber=TINIT-00743110157/CN=ESEMPIO SRL" signer_ext 100a
key_rsa stranger 2048
issue stranger other_root "/C=IT/SN=NERI/GN=PAOLO/serialNumber=TINIT-MRTNTN23M02D969P/CN=PAOLO NERI" signer_ext 1010

# --- CRL of the intermediate listing "revoked" (fixed revocation date: 1 June 2024) ---
printf 'R\t450101000000Z\t240601000000Z,keyCompromise\t1009\tunknown\t/CN=revoked\n' > index.txt
openssl ca -batch -gencrl -config ca.cnf -keyfile inter.key -cert inter.pem -crlexts crl_ext \
  -crl_lastupdate 20240601000000Z -crl_nextupdate 20450101000000Z -out inter.crl.pem 2>/dev/null
openssl crl -in inter.crl.pem -outform DER -out inter.crl

# --- contents ---
printf 'Certificato di origine n. 2025/0001\nMerce: 10 casse di olio extravergine di oliva.\n' > content.txt
python3 - <<'PY'
lines = []
n = 0
while sum(len(l) for l in lines) < 50 * 1024:
    lines.append(f"Riga {n:05d}: fattura commerciale, voce doganale 1509 20 00, quantita {n % 97} casse.\n")
    n += 1
open("content50k.txt", "w").write("".join(lines)[: 50 * 1024])
PY

# sign IN OUT SIGNER [extra openssl options...]: attached CAdES-BES, DER, intermediate included.
sign() {
  local in=$1 out=$2 signer=$3
  shift 3
  openssl cms -sign -binary -nodetach -cades -md sha256 -in "$in" -signer "$signer.pem" -inkey "$signer.key" \
    -certfile inter.pem -outform DER -out "$out" "$@"
}

F=fixtures
mkdir -p $F
sign content.txt $F/valid_rsa.p7m mario
sign content.txt $F/valid_ec.p7m laura
sign content.txt $F/valid_p384.p7m anna -md sha384
sign content.txt $F/valid_cns.p7m cns
sign content.txt $F/valid_company.p7m company
sign content.txt $F/pss.p7m mario -keyopt rsa_padding_mode:pss
sign content.txt $F/untrusted.p7m stranger
sign content.txt $F/expired.p7m expired
sign content.txt $F/not_yet_valid.p7m future
sign content.txt $F/key_usage.p7m keyenc
sign content.txt $F/weak_rsa.p7m weak
sign content.txt $F/revoked.p7m revoked
sign content.txt $F/sha1.p7m mario -md sha1
sign content.txt $F/ber.p7m mario -stream
sign content.txt $F/parallel.p7m mario -signer laura.pem -inkey laura.key
sign $F/valid_rsa.p7m $F/nested.p7m.p7m laura
openssl base64 -in $F/valid_rsa.p7m -out valid_rsa.b64
sign valid_rsa.b64 $F/nested_base64_inner.p7m.p7m laura
sign content50k.txt $F/bench_rsa_50k.p7m mario
sign content50k.txt $F/bench_ec_50k.p7m laura
# Without -cades openssl writes no ESS signing-certificate attribute at all.
openssl cms -sign -binary -nodetach -md sha256 -in content.txt -signer mario.pem -inkey mario.key \
  -certfile inter.pem -outform DER -out $F/no_signing_cert.p7m
# The intermediate is not in the envelope.
openssl cms -sign -binary -nodetach -cades -md sha256 -in content.txt -signer mario.pem -inkey mario.key \
  -outform DER -out $F/missing_intermediate.p7m
# Detached: the envelope holds no content.
openssl cms -sign -binary -cades -md sha256 -in content.txt -signer mario.pem -inkey mario.key \
  -certfile inter.pem -outform DER -out $F/detached.p7m
# Wrappings of valid_rsa.p7m: base64 without header (64-column lines), PEM "CMS" and "PKCS7".
openssl base64 -in $F/valid_rsa.p7m -out $F/base64.p7m
openssl cms -sign -binary -nodetach -cades -md sha256 -in content.txt -signer mario.pem -inkey mario.key \
  -certfile inter.pem -outform PEM -out $F/pem_cms.p7m
sed -e 's/BEGIN CMS/BEGIN PKCS7/' -e 's/END CMS/END PKCS7/' $F/pem_cms.p7m > $F/pem_pkcs7.p7m

# -stream must have produced indefinite lengths (BER), or the fixture is pointless.
openssl asn1parse -inform DER -in $F/ber.p7m -i > ber.txt
grep -q 'l=inf' ber.txt || { echo "ber.p7m is not BER" >&2; exit 1; }

python3 - "$F" <<'PY'
import random, sys
f = sys.argv[1]
data = bytearray(open(f"{f}/valid_rsa.p7m", "rb").read())
i = data.find(b"olio extravergine")
assert i > 0
data[i] = ord("O")  # one changed letter in the signed content
open(f"{f}/tampered.p7m", "wb").write(data)
open(f"{f}/truncated.p7m", "wb").write(data[:700])
rnd = random.Random(2025)
open(f"{f}/garbage.bin", "wb").write(b"Questo non e' un file firmato.\n" + bytes(rnd.randrange(256) for _ in range(512)))
PY

# --- countersignature (OpenSSL 3.0 has no command for it): Laura countersigns Mario's signature
# value; her SignerInfo goes into Mario's unsigned attribute 1.2.840.113549.1.9.6 and her
# certificate into the envelope. countersigned_bad.p7m countersigns other bytes.
cat > der.py <<'PY'
"""Just enough DER to take envelopes apart and put them back together (definite lengths)."""
import sys

def read(buf, pos):
    tag, p = buf[pos], pos + 1
    n = buf[p]
    p += 1
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[p : p + k], "big")
        p += k
    return tag, buf[p : p + n], p + n

def children(value):
    out, pos = [], 0
    while pos < len(value):
        tag, v, end = read(value, pos)
        out.append((tag, v, value[pos:end]))
        pos = end
    return out

def enc(tag, value):
    n = len(value)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + value

def signed_data(path):
    _, ci, _ = read(open(path, "rb").read(), 0)
    oid, explicit = children(ci)
    _, sd, _ = read(explicit[1], 0)
    return children(sd)

def signature_value(path):
    signer = children(signed_data(path)[-1][1])[0]
    return [c for c in children(signer[1]) if c[0] == 0x04][0][1]

def countersign(main_path, counter_path, out_path):
    sd = signed_data(main_path)
    counter_sd = signed_data(counter_path)
    counter_signer = children(counter_sd[-1][1])[0][2]
    counter_certs = [c[2] for c in children([x for x in counter_sd if x[0] == 0xA0][0][1])]
    certs = [c[2] for c in children([x for x in sd if x[0] == 0xA0][0][1])]
    signer = children(sd[-1][1])[0]
    attr = enc(0x30, enc(0x06, bytes.fromhex("2a864886f70d010906")) + enc(0x31, counter_signer))
    new_signer = enc(0x30, b"".join(c[2] for c in children(signer[1])) + enc(0xA1, attr))
    new_sd = []
    for tag, value, raw in sd:
        if tag == 0xA0:
            raw = enc(0xA0, b"".join(certs + [c for c in counter_certs if c not in certs]))
        elif tag == 0x31 and raw is sd[-1][2]:
            raw = enc(0x31, new_signer)
        new_sd.append(raw)
    body = enc(0x30, b"".join(new_sd))
    ci = enc(0x30, enc(0x06, bytes.fromhex("2a864886f70d010702")) + enc(0xA0, body))
    open(out_path, "wb").write(ci)

if __name__ == "__main__":
    if sys.argv[1] == "sigvalue":
        open(sys.argv[3], "wb").write(signature_value(sys.argv[2]))
    else:
        countersign(*sys.argv[2:])
PY
python3 der.py sigvalue $F/valid_rsa.p7m sigvalue.bin
openssl cms -sign -binary -cades -md sha256 -in sigvalue.bin -signer laura.pem -inkey laura.key \
  -outform DER -out counter.cms
python3 der.py countersign $F/valid_rsa.p7m counter.cms $F/countersigned.p7m
printf 'other bytes' > other.bin
openssl cms -sign -binary -cades -md sha256 -in other.bin -signer laura.pem -inkey laura.key \
  -outform DER -out counter_bad.cms
python3 der.py countersign $F/valid_rsa.p7m counter_bad.cms $F/countersigned_bad.p7m

# --- PAdES: a hand-written PDF with a signature dictionary, signed over its /ByteRange ---
cat > pdf.py <<'PY'
"""Tiny deterministic PDF with one signature field; see the commands at the bottom."""
import sys

CONTENTS_BYTES = 12288  # room for the CMS (DER); hex doubles it
BR_PLACEHOLDER = b"[0 0000000000 0000000000 0000000000]"


def build():
    stream = b"BT /F1 18 Tf 72 760 Td (Certificato di origine n. 2025/0001) Tj ET\n"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /SigFlags 3 >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
        b" /Annots [5 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 /Rect [0 0 0 0] /P 3 0 R /T (Firma1) /V 6 0 R >>",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20250301120000+01'00')"
        b" /Name (MARIO ROSSI) /ByteRange " + BR_PLACEHOLDER + b" /Contents <" + b"0" * (2 * CONTENTS_BYTES) + b"> >>",
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


def prepare(pdf_path, covered_path):
    pdf = build()
    start = pdf.index(b"/Contents <") + len(b"/Contents ")
    end = pdf.index(b">", start) + 1
    br = b"[0 %d %d %d]" % (start, end, len(pdf) - end)
    at = pdf.index(BR_PLACEHOLDER)
    pdf[at : at + len(BR_PLACEHOLDER)] = br.ljust(len(BR_PLACEHOLDER))
    open(pdf_path, "wb").write(pdf)
    open(covered_path, "wb").write(pdf[:start] + pdf[end:])


def fill(pdf_path, sig_path, out_path):
    pdf = bytearray(open(pdf_path, "rb").read())
    sig = open(sig_path, "rb").read().hex().encode()
    assert len(sig) <= 2 * CONTENTS_BYTES, "signature too large for the placeholder"
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    pdf[start : start + len(sig)] = sig
    open(out_path, "wb").write(pdf)


def tamper(in_path, out_path):
    pdf = open(in_path, "rb").read()
    assert pdf.count(b"2025/0001") == 1
    open(out_path, "wb").write(pdf.replace(b"2025/0001", b"2025/0009"))


def append(in_path, out_path):
    """An incremental update after the signature: object 4 gets a new text."""
    pdf = bytearray(open(in_path, "rb").read())
    prev = int(pdf[pdf.rindex(b"startxref") + 10 :].split()[0])
    stream = b"BT /F1 18 Tf 72 760 Td (Certificato di origine n. 2025/0999) Tj ET\n"
    off = len(pdf)
    pdf += b"4 0 obj\n<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 1\n0000000000 65535 f \n4 1\n%010d 00000 n \n" % off
    pdf += b"trailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref)
    open(out_path, "wb").write(pdf)


if __name__ == "__main__":
    {"prepare": prepare, "fill": fill, "tamper": tamper, "append": append}[sys.argv[1]](*sys.argv[2:])
PY
python3 pdf.py prepare unsigned.pdf covered.bin
openssl cms -sign -binary -cades -md sha256 -in covered.bin -signer mario.pem -inkey mario.key \
  -certfile inter.pem -outform DER -out pades.cms
python3 pdf.py fill unsigned.pdf pades.cms $F/pades_valid.pdf
python3 pdf.py tamper $F/pades_valid.pdf $F/pades_tampered.pdf
python3 pdf.py append $F/pades_valid.pdf $F/pades_appended.pdf
cp unsigned.pdf $F/unsigned.pdf

# --- a small trusted list (ETSI TS 119 612 shape): one granted CA/QC, one withdrawn, one TSA ---
python3 - "$F" <<'PY'
import base64, sys
f = sys.argv[1]
root = base64.b64encode(open("root.der", "rb").read()).decode()
other = base64.b64encode(open("other_root.der", "rb").read()).decode()
inter = base64.b64encode(open("inter.der", "rb").read()).decode()
def service(kind, name, cert, status):
    return f"""      <tsl:TSPService>
        <tsl:ServiceInformation>
          <tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/{kind}</tsl:ServiceTypeIdentifier>
          <tsl:ServiceName><tsl:Name xml:lang="it">{name}</tsl:Name><tsl:Name xml:lang="en">{name} (EN)</tsl:Name></tsl:ServiceName>
          <tsl:ServiceDigitalIdentity><tsl:DigitalId><tsl:X509Certificate>{cert}</tsl:X509Certificate></tsl:DigitalId></tsl:ServiceDigitalIdentity>
          <tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{status}</tsl:ServiceStatus>
          <tsl:StatusStartingTime>2020-01-01T00:00:00Z</tsl:StatusStartingTime>
        </tsl:ServiceInformation>
        <tsl:ServiceHistory><tsl:ServiceHistoryInstance>
          <tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/{kind}</tsl:ServiceTypeIdentifier>
          <tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted</tsl:ServiceStatus>
        </tsl:ServiceHistoryInstance></tsl:ServiceHistory>
      </tsl:TSPService>
"""
xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<tsl:TrustServiceStatusList xmlns:tsl="http://uri.etsi.org/02231/v2#" TSLTag="http://uri.etsi.org/19612/TSLTag">
  <tsl:SchemeInformation><tsl:SchemeTerritory>IT</tsl:SchemeTerritory></tsl:SchemeInformation>
  <tsl:TrustServiceProviderList>
    <tsl:TrustServiceProvider>
      <tsl:TSPInformation><tsl:TSPName><tsl:Name xml:lang="it">Sportello Test S.p.A.</tsl:Name></tsl:TSPName></tsl:TSPInformation>
      <tsl:TSPServices>
{service("CA/QC", "Sportello Test Root CA", root, "granted")}{service("CA/QC", "Untrusted Root CA", other, "withdrawn")}{service("TSA/QTST", "Sportello Test TSA &amp; Co", inter, "granted")}      </tsl:TSPServices>
    </tsl:TrustServiceProvider>
  </tsl:TrustServiceProviderList>
</tsl:TrustServiceStatusList>
"""
open(f"{f}/tsl.xml", "w").write(xml)
PY

# --- trust material ---
cp root.der other_root.der inter.der $F/
cp root.pem $F/root.pem
cat inter.pem root.pem > $F/chain.pem
for c in mario laura cns; do cp "$c.der" "$F/$c.der"; done
cp inter.crl $F/inter.crl
cp inter.crl.pem $F/inter.crl.pem
cp content.txt $F/content.txt

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -r $F "$OUT"
echo "fixtures written to crates/firma/tests/fixtures ($(ls "$OUT" | wc -l) files)"
