#!/usr/bin/env bash
# Makes a throwaway PKI whose certificates say where to ask about their revocation, for the
# revocation tests: the URLs are baked into the certificates, so the tests run this at test
# time with the ports they listen on (and scripts/revocation-fixtures.sh with fixed ones).
# OpenSSL 3 only; EC P-256 keys, valid 2020–2045.
#
#   scripts/revocation-pki.sh OUT_DIR OCSP_URL CRL_BASE_URL DEAD_URL
#
# OUT_DIR receives (PEM, keys next to them):
#   root.pem           root CA (the trust anchor); root.crl (DER) revokes nothing
#   inter.pem          issuing CA, its CRL at CRL_BASE_URL/root.crl; inter.crl (DER) revokes
#                      crl_revoked.pem; inter-index.txt is its database (for `openssl ocsp`)
#   responder.pem      OCSP responder delegated by inter (extendedKeyUsage OCSPSigning)
#   good.pem           GIULIA BIANCHI, OCSP at OCSP_URL
#   revoked.pem        MARIO ROSSI, OCSP at OCSP_URL, revoked (keyCompromise)
#   crl_only.pem       LAURA BIANCHI, no OCSP, CRL at CRL_BASE_URL/inter.crl
#   crl_revoked.pem    PAOLO VERDI, no OCSP, CRL at CRL_BASE_URL/inter.crl, revoked
#   unreachable.pem    GIULIA BIANCHI, OCSP at DEAD_URL only
#   offline.pem        LAURA BIANCHI, CRL at DEAD_URL/inter.crl only
set -euo pipefail

out=$1 ocsp=$2 crl_base=$3 dead=$4
mkdir -p "$out"
cd "$out"
export OPENSSL_CONF=/dev/null
from=20200101000000Z
to=20450101000000Z

cat > ca.cnf <<CNF
[ca]
default_ca = root_db
[root_db]
database = root-index.txt
serial = serial.txt
new_certs_dir = .
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[inter_db]
database = inter-index.txt
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
crlDistributionPoints = URI:$crl_base/root.crl
[responder]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[by_ocsp]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:$ocsp
[by_crl]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$crl_base/inter.crl
[by_dead_ocsp]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:$dead
[by_dead_crl]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$dead/inter.crl
[crl_ext]
authorityKeyIdentifier = keyid
CNF
: > root-index.txt
: > inter-index.txt

# make NAME ISSUER DB SUBJECT EXTENSIONS SERIAL  (ISSUER "self" for the root)
make() {
  local name=$1 issuer=$2 db=$3 subject=$4 ext=$5 serial=$6
  openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -config ca.cnf -out "$name.csr"
  echo "$serial" > serial.txt
  if [ "$issuer" = self ]; then
    set -- -selfsign -keyfile "$name.key" -cert /dev/null
  else
    set -- -keyfile "$issuer.key" -cert "$issuer.pem"
  fi
  openssl ca -batch -notext -config ca.cnf -name "$db" "$@" -preserveDN -startdate "$from" \
    -enddate "$to" -extensions "$ext" -in "$name.csr" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$serial.pem"
}

person() { echo "/C=IT/SN=$2/GN=$1/serialNumber=TINIT-$3/CN=$1 $2"; }

make root self root_db "/C=IT/O=Sportello Revocation Test/CN=Revocation Test Root CA" root_ca 01
make inter root root_db "/C=IT/O=Sportello Revocation Test/CN=Revocation Test Qualified CA" issuing_ca 02
make responder inter inter_db "/C=IT/O=Sportello Revocation Test/CN=Revocation Test OCSP Responder" responder 0100
make good inter inter_db "$(person GIULIA BIANCHI BNCGLI85M41D969D)" by_ocsp 1001
make revoked inter inter_db "$(person MARIO ROSSI RSSMRA80A01H501U)" by_ocsp 1002
make crl_only inter inter_db "$(person LAURA BIANCHI BNCLRA92E52F205Y)" by_crl 1003
make crl_revoked inter inter_db "$(person PAOLO VERDI VRDPLA70A01D969S)" by_crl 1004
make unreachable inter inter_db "$(person GIULIA BIANCHI BNCGLI85M41D969D)" by_dead_ocsp 1005
make offline inter inter_db "$(person LAURA BIANCHI BNCLRA92E52F205Y)" by_dead_crl 1006

revoke() {
  openssl ca -config ca.cnf -name inter_db -keyfile inter.key -cert inter.pem -revoke "$1" \
    -crl_reason keyCompromise -crl_compromise 20250301000000Z 2>/dev/null
}
revoke revoked.pem
revoke crl_revoked.pem

# CRLs dated 2025-01-01, valid until 2045; numbered by crlnumber files.
crl() {
  local db=$1 ca=$2 number=$3
  echo "$number" > "$ca.crlnumber"
  sed -i "s|^\[$db\]|[$db]\ncrlnumber = $ca.crlnumber|" ca.cnf
  openssl ca -config ca.cnf -name "$db" -keyfile "$ca.key" -cert "$ca.pem" -gencrl \
    -crl_lastupdate 20250101000000Z -crl_nextupdate 20450101000000Z -crlexts crl_ext \
    -out "$ca.crl.pem" 2>/dev/null
  openssl crl -in "$ca.crl.pem" -outform DER -out "$ca.crl"
}
crl root_db root 05
crl inter_db inter 2A
cat inter.pem root.pem > chain.pem
