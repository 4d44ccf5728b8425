"""Writes the FatturaPA fixtures of crates/sportello-core/tests/fixtures/fatturapa/ with a38,
an e-invoice library independent of Sportello. Run by scripts/fatturapa-fixtures.sh."""

import datetime
import sys
from decimal import Decimal

import a38.fattura as a38

OUT = sys.argv[1]


def seller():
    """The exporter: the demo company (its VAT number) at its Genova head office."""
    return a38.CedentePrestatore(
        a38.DatiAnagraficiCedentePrestatore(
            a38.IdFiscaleIVA("IT", "00743110157"),
            codice_fiscale="00743110157",
            anagrafica=a38.Anagrafica(denominazione="Demo Export S.r.l."),
            regime_fiscale="RF01",
        ),
        a38.Sede(
            indirizzo="Via XX Settembre", numero_civico="10", cap="16121",
            comune="Genova", provincia="GE", nazione="IT",
        ),
    )


def foreign_buyer():
    return a38.CessionarioCommittente(
        a38.DatiAnagraficiCessionarioCommittente(
            a38.IdFiscaleIVA("US", "123456789"),
            anagrafica=a38.Anagrafica(denominazione="ACME Trading LLC"),
        ),
        a38.Sede(
            indirizzo="1200 Harbor Blvd", cap="00000", comune="Long Beach",
            nazione="US",
        ),
    )


def transmission(formato, codice):
    return a38.DatiTrasmissione(
        a38.IdTrasmittente("IT", "00743110157"),
        progressivo_invio="00001",
        formato_trasmissione=formato,
        codice_destinatario=codice,
    )


def body(numero, data, divisa, lines, total=True):
    b = a38.FatturaElettronicaBody()
    b.dati_generali.dati_generali_documento = a38.DatiGeneraliDocumento(
        tipo_documento="TD01", divisa=divisa, data=data, numero=numero,
    )
    for line in lines:
        b.dati_beni_servizi.add_dettaglio_linee(**line)
    b.dati_beni_servizi.build_dati_riepilogo()
    for r in b.dati_beni_servizi.dati_riepilogo:
        if r.aliquota_iva == 0:
            r.riferimento_normativo = "Non imponibile art. 8 c.1 lett. a DPR 633/72"
    if total:
        b.dati_generali.dati_generali_documento.importo_totale_documento = sum(
            (r.imponibile_importo + r.imposta for r in b.dati_beni_servizi.dati_riepilogo),
            Decimal("0"),
        )
    return b


def export_line(descrizione, quantita, unita, prezzo, **extra):
    return dict(
        descrizione=descrizione, quantita=Decimal(quantita), unita_misura=unita,
        prezzo_unitario=Decimal(prezzo), aliquota_iva=Decimal("0.00"), natura="N3.1",
        **extra,
    )


def write(fattura, name):
    tree = fattura.build_etree()
    with open(f"{OUT}/{name}", "wb") as f:
        tree.write(f, encoding="utf-8", xml_declaration=True)


# An export invoice: two goods lines and the transport charged on top (no quantity).
f = a38.FatturaPrivati12()
f.fattura_elettronica_header.dati_trasmissione = transmission("FPR12", "XXXXXXX")
f.fattura_elettronica_header.cedente_prestatore = seller()
f.fattura_elettronica_header.cessionario_committente = foreign_buyer()
f.fattura_elettronica_body = [body("2026/118", datetime.date(2026, 11, 20), "EUR", [
    export_line("Valvole a sfera in acciaio inox DN50", "1200.00", "PZ", "10.00"),
    export_line("Guarnizioni in PTFE", "250.50", "KG", "12.00"),
    export_line("Spese di trasporto fino al porto di Genova", "1.00", None, "394.00",
                tipo_cessione_prestazione="AC"),
])]
write(f, "fpr12-export.xml")

# A batch (lotto) of two invoices to the same buyer; the second is in US dollars and does not
# state its total (ImportoTotaleDocumento is optional in FatturaPA).
f = a38.FatturaPrivati12()
f.fattura_elettronica_header.dati_trasmissione = transmission("FPR12", "XXXXXXX")
f.fattura_elettronica_header.cedente_prestatore = seller()
f.fattura_elettronica_header.cessionario_committente = foreign_buyer()
f.fattura_elettronica_body = [
    body("2026/119", datetime.date(2026, 11, 21), "EUR", [
        export_line("Raccordi filettati in ottone", "300.00", "PZ", "4.50"),
    ]),
    body("2026/120", datetime.date(2026, 11, 22), "USD", [
        export_line("Rubinetti a sfera in ottone", "80.00", "PZ", "25.00"),
    ], total=False),
]
write(f, "fpr12-batch.xml")

# An invoice to a public administration (FPA12): an Italian buyer, VAT charged.
f = a38.FatturaPA12()
f.fattura_elettronica_header.dati_trasmissione = transmission("FPA12", "UFY9MH")
f.fattura_elettronica_header.cedente_prestatore = seller()
f.fattura_elettronica_header.cessionario_committente = a38.CessionarioCommittente(
    a38.DatiAnagraficiCessionarioCommittente(
        codice_fiscale="80052590587",
        anagrafica=a38.Anagrafica(denominazione="Comune di Esempio"),
    ),
    a38.Sede(indirizzo="Piazza del Municipio", numero_civico="1", cap="16100",
             comune="Genova", provincia="GE", nazione="IT"),
)
f.fattura_elettronica_body = [body("PA-2026-7", datetime.date(2026, 11, 18), "EUR", [
    dict(descrizione="Valvole di ricambio", quantita=Decimal("10.00"), unita_misura="PZ",
         prezzo_unitario=Decimal("30.00"), aliquota_iva=Decimal("22.00")),
])]
write(f, "fpa12.xml")
