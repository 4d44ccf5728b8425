#!/usr/bin/env bash
# Makes the throwaway PKI the application's tests sign with: a root CA, an intermediate CA
# and qualified-signature-style certificates for the demo companies' signatories, with
# Italian subjects (serialNumber=TINIT-<tax code>), valid 2020–2045 so that tests with a
# fixed clock do not rot; and the electronic-seal certificate of the demo chamber (GE), also
# exported as PKCS#12 with OpenSSL 3's defaults (PBES2: AES-256-CBC, PBKDF2 with HMAC-SHA-256).
# Keys are committed on purpose: they sign test files only and are trusted nowhere but in the
# tests and the demo.
#
#   scripts/test-pki.sh        (re)writes crates/sportello-core/tests/fixtures/pki/
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/crates/sportello-core/tests/fixtures/pki"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export OPENSSL_CONF=/dev/null
from=20200101000000Z
to=20450101000000Z

# `openssl ca` is the OpenSSL 3.0 command that accepts explicit validity dates.
cat > ca.cnf <<'CNF'
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
serial = serial.txt
new_certs_dir = .
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = optional
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing_ca]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[qualified_signer]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.3.76.16.6
[chamber_seal]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# make NAME ISSUER SUBJECT EXTENSIONS SERIAL  (ISSUER "self" for the root)
make() {
  local name=$1 issuer=$2 subject=$3 ext=$4 serial=$5
  openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -config ca.cnf -out "$name.csr"
  : > index.txt
  echo "$serial" > serial.txt
  if [ "$issuer" = self ]; then
    set -- -selfsign -keyfile "$name.key" -cert /dev/null
  else
    set -- -keyfile "$issuer.key" -cert "$issuer.pem"
  fi
  openssl ca -batch -notext -config ca.cnf "$@" -preserveDN -startdate "$from" -enddate "$to" \
    -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
}

make root self "/C=IT/O=Sportello Test/CN=Sportello Test Root CA" root_ca 01
make inter root "/C=IT/O=Sportello Test/CN=Sportello Test Qualified CA" issuing_ca 02
make giulia inter "/C=IT/SN=BIANCHI/GN=GIULIA/serialNumber=TINIT-BNCGLI85M41D969D/CN=GIULIA BIANCHI" qualified_signer 1001
make paolo inter "/C=IT/SN=VERDI/GN=PAOLO/serialNumber=TINIT-VRDPLA70A01D969S/CN=PAOLO VERDI" qualified_signer 1002
# The chamber's seal (a legal person: organizationIdentifier VATIT-<VAT number>, made up).
make seal-ge inter "/C=IT/L=Genova/O=Camera di Commercio di Genova/organizationIdentifier=VATIT-09876543217/CN=Camera di Commercio di Genova" chamber_seal 2001
cat inter.pem root.pem > chain.pem
openssl pkcs12 -export -inkey seal-ge.key -in seal-ge.pem -certfile chain.pem \
  -name "Sigillo Camera di Commercio di Genova" -passout pass:sigillo-demo -out seal-ge.p12

mkdir -p "$out"
cp root.pem inter.pem giulia.pem giulia.key paolo.pem paolo.key seal-ge.pem seal-ge.p12 "$out/"
cat > "$out/README.md" <<'MD'
# Test PKI

Throwaway certificates and keys made by `scripts/test-pki.sh` with OpenSSL, for the
application's tests and the demo: `root.pem` (trust anchor), `inter.pem` (issuing CA),
`giulia.pem`/`giulia.key` (GIULIA BIANCHI, TINIT-BNCGLI85M41D969D, signs for the demo company
Ligure Export), `paolo.pem`/`paolo.key` (PAOLO VERDI, TINIT-VRDPLA70A01D969S), and the demo
chamber's seal: `seal-ge.pem` (Camera di Commercio di Genova, keyUsage digitalSignature and
nonRepudiation) with its key and chain in `seal-ge.p12`, password `sigillo-demo`. Valid from
2020 to 2045. Never trust them anywhere else.

Sign a base model as a company would (CAdES, attached):

    openssl cms -sign -binary -nodetach -cades -md sha256 -outform DER \
      -in modello.xml -signer giulia.pem -inkey giulia.key -certfile inter.pem -out modello.xml.p7m
MD
echo "test PKI written to $out"
