"""Independent checks of the CDAR lifecycle messages the relay sends (its 212 « Encaissée »):
pyfrctc's CDAR XSD (D22B) through pyfrctc.check_cdar_xsd, and the DGFiP's BR-FR-CDV rules as
pyfrctc 0.24 ships them compiled (cdar-schematron/BR-FR-CDV-Schematron-CDAR.xslt), run with
Saxon ourselves in one run over every document (pyfrctc's own helper needs a Saxon server and
passes silently without one). Usage: cdar.py DIR (every *.xml in DIR). Exit 1 on any problem.
Run with the Python of target/pa-venv (tests/setup.sh installs pyfrctc there)."""

import pathlib
import re
import subprocess
import sys
import tempfile

import pyfrctc

SAXON = "/usr/share/java/Saxon-HE.jar"
XSLT = pathlib.Path(pyfrctc.__file__).parent / "cdar-schematron" / "BR-FR-CDV-Schematron-CDAR.xslt"


def main(directory):
    docs = sorted(pathlib.Path(directory).glob("*.xml"))
    if not docs:
        print("no CDAR to check")
        return 1
    problems = []
    for doc in docs:
        try:
            pyfrctc.check_cdar_xsd(doc.read_bytes())
        except Exception as e:  # pyfrctc raises on the first XSD error
            problems.append(f"{doc.name}: XSD: {e}")
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(["java", "-cp", SAXON, "net.sf.saxon.Transform",
                              f"-s:{directory}", f"-xsl:{XSLT}", f"-o:{out}"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"Saxon failed: {run.stderr.strip()[:500]}")
        reports = sorted(pathlib.Path(out).iterdir())
        for svrl in reports:
            report = svrl.read_text(encoding="utf-8")
            for m in re.finditer(r"<svrl:failed-assert(.*?)</svrl:failed-assert>", report, re.S):
                flag = re.search(r'flag="(\w+)"', m.group(1))
                if flag is None or flag.group(1) in ("fatal", "error"):
                    text = " ".join(re.sub(r"<[^>]+>", " ", m.group(0)).split())
                    problems.append(f"BR-FR-CDV {svrl.stem}: {text[:400]}")
        if len(reports) != len(docs):
            problems.append(f"{len(docs)} documents, {len(reports)} Schematron reports")
    for p in problems:
        print(p)
    print(f"{len(docs)} CDAR checked (XSD and BR-FR-CDV), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
