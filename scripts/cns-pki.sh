#!/usr/bin/env bash
# Makes a throwaway PKI of smart cards (CNS) for the tests of the login with a card: a card
# authority, the authentication certificates of its cards (good, expired, revoked, without a
# tax code, a signature certificate, an older card with the tax code in the common name), a
# card from an authority nobody trusts, the authority's CRL, and a server certificate for the
# TLS proxy of the nginx test. OpenSSL 3 only; EC P-256 keys.
#
#   scripts/cns-pki.sh OUT_DIR [CRL_URL]
#
# CRL_URL is the cRLDistributionPoints of the cards (default: a port nobody listens on; the
# tests store ca.crl instead, as `sportello admin trust crl add` does). OUT_DIR receives (PEM,
# keys next to them as NAME.key):
#   ca.pem             "CNS Test CA", the trust anchor of SPORTELLO_CNS_TRUST_ANCHORS
#   ca.crl             its CRL (DER; ca.crl.pem in PEM), revoking revoked.pem
#   mario.pem          MARIO ROSSI, serialNumber TINIT-RSSMRA80A01H501U, clientAuth, e-mail
#   paolo.pem          an older card: CN VRDPLA70A01D969S/7420000012345678.Xc9f2a, e-mail
#   expired.pem        GIULIA BIANCHI, valid 2020–2022 only
#   revoked.pem        LAURA BIANCHI, revoked (keyCompromise, 2025-03-01)
#   notaxcode.pem      ANNA NONIMA, no tax code anywhere
#   signature.pem      MARIO ROSSI's signature certificate: nonRepudiation only
#   stranger.pem       MARIO ROSSI by "Unknown Card CA" (stranger-ca.pem), not trusted
#   server.pem         localhost / 127.0.0.1, serverAuth, for the TLS proxy
#   nomail.pem         ELENA NERI, TINIT-NRELNE90C41D969G, clientAuth, no e-mail address
#   mario.p12          mario.pem and its key, no password (for browsers)
set -euo pipefail

out=$1 crl_url=${2:-http://127.0.0.1:9/ca.crl}
mkdir -p "$out"
cd "$out"
export OPENSSL_CONF=/dev/null
# The e-mail of the card being made (subjectAltName of the `card` extensions).
export CARD_EMAIL=unused@example.invalid

cat > ca.cnf <<CNF
[ca]
default_ca = card_db
[card_db]
database = ca-index.txt
serial = serial.txt
new_certs_dir = .
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[stranger_db]
database = stranger-index.txt
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
[card]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$crl_url
subjectAltName = email:\${ENV::CARD_EMAIL}
[card_no_mail]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$crl_url
[signature]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$crl_url
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
[crl_ext]
authorityKeyIdentifier = keyid
CNF
: > ca-index.txt
: > stranger-index.txt

# make NAME ISSUER DB SUBJECT EXTENSIONS SERIAL FROM TO  (ISSUER "self" for a root)
make() {
  local name=$1 issuer=$2 db=$3 subject=$4 ext=$5 serial=$6 from=$7 to=$8
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

from=20200101000000Z
to=20450101000000Z
card() { echo "/C=IT/SN=$2/GN=$1/serialNumber=TINIT-$3/CN=$1 $2"; }

make ca self card_db "/C=IT/O=Sportello CNS Test/CN=CNS Test CA" root_ca 01 $from $to
make stranger-ca self stranger_db "/C=IT/O=Somebody Else/CN=Unknown Card CA" root_ca 02 $from $to
CARD_EMAIL=mario.rossi@example.it; make mario ca card_db "$(card MARIO ROSSI RSSMRA80A01H501U)" card 1001 $from $to
CARD_EMAIL=paolo.verdi@example.it; make paolo ca card_db \
  "/C=IT/SN=VERDI/GN=PAOLO/CN=VRDPLA70A01D969S\/7420000012345678.Xc9f2a" card 1002 $from $to
CARD_EMAIL=giulia.bianchi@example.it; make expired ca card_db "$(card GIULIA BIANCHI BNCGLI85M41D969D)" card 1003 $from 20220101000000Z
CARD_EMAIL=laura.bianchi@example.it; make revoked ca card_db "$(card LAURA BIANCHI BNCLRA92E52F205Y)" card 1004 $from $to
CARD_EMAIL=anna@example.it; make notaxcode ca card_db "/C=IT/SN=NONIMA/GN=ANNA/CN=ANNA NONIMA" card 1005 $from $to
make signature ca card_db "$(card MARIO ROSSI RSSMRA80A01H501U)" signature 1006 $from $to
CARD_EMAIL=mario.rossi@example.it; make stranger stranger-ca stranger_db "$(card MARIO ROSSI RSSMRA80A01H501U)" card 1007 $from $to
make server ca card_db "/C=IT/O=Sportello CNS Test/CN=localhost" server 1008 $from $to
# A card that states no e-mail address: its first login asks for one.
make nomail ca card_db "$(card ELENA NERI NRELNE90C41D969G)" card_no_mail 1009 $from $to

openssl ca -config ca.cnf -name card_db -keyfile ca.key -cert ca.pem -revoke revoked.pem \
  -crl_reason keyCompromise -crl_compromise 20250301000000Z 2>/dev/null
# Revoked on 2025-03-01, not today: the tests' clock may stand before the day this runs.
sed -i -E 's/^R(\t[0-9]+Z\t)[0-9]+Z,/R\1250301000000Z,/' ca-index.txt
echo 10 > ca.crlnumber
sed -i "s|^\[card_db\]|[card_db]\ncrlnumber = ca.crlnumber|" ca.cnf
openssl ca -config ca.cnf -name card_db -keyfile ca.key -cert ca.pem -gencrl \
  -crl_lastupdate 20250101000000Z -crl_nextupdate 20450101000000Z -crlexts crl_ext \
  -out ca.crl.pem 2>/dev/null
openssl crl -in ca.crl.pem -outform DER -out ca.crl
openssl pkcs12 -export -in mario.pem -inkey mario.key -passout pass: -out mario.p12
