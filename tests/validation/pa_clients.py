"""Two XP Z12-013 clients written by others drive the offline approved platform, which shows
that it speaks the standard: pyfrctc (Akretion; its platform table is hard-coded, so an entry for
the sandbox is added, and OAUTHLIB_INSECURE_TRANSPORT=1 allows plain http) checks the health of
both services, submits a Factur-X, searches flows and reads one back; mcp-facture-electronique-fr's
FlowClient (its own client-credentials token) searches the flows too (search_flows: its
search_documents reads a wrong key). Usage: pa_clients.py BASE CLIENT_ID CLIENT_SECRET PDF.
Prints one line per check; exit 1 at the first failure."""

import asyncio
import os
import pathlib
import sys

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def with_pyfrctc(base, client_id, secret, pdf):
    from pyfrctc import pyfrctc

    pyfrctc.PLATFORMS["sandbox"] = {
        "afnor_base_url": base,
        "token_url": f"{base}/token",
        "authorize_url": f"{base}/authorize",
        "label": "Plateforme agréée simulée",
    }
    token = {"access_token": None, "expires_at": None}
    session = pyfrctc.get_session(
        "sandbox", "client_credentials", "tests", lambda _kind: token, token.update, client_id, secret
    )
    assert pyfrctc.healthcheck(session, type="flow") is True
    assert pyfrctc.healthcheck(session, type="directory") is True
    print("pyfrctc: token and both health checks")
    sent = pyfrctc.send_flow(session, pdf, "pyfrctc-facture.pdf", "Factur-X", "B2B")
    assert sent.get("flowId"), sent
    print(f"pyfrctc: flow submitted, {sent['flowId']}")
    flows = pyfrctc.search_flows_parsed(session, "2000-01-01T00:00:00.000Z", None, None)
    ids = [f["flowId"] for f in flows]
    assert sent["flowId"] in ids, ids
    lifecycle = [f for f in flows if f.get("flowType") == "CustomerInvoiceLC"]
    assert lifecycle, "the platform's statuses are flows too"
    print(f"pyfrctc: {len(flows)} flows found, {len(lifecycle)} lifecycle")
    meta = pyfrctc.get_flow(session, sent["flowId"])
    assert meta["acknowledgement"]["status"] == "Ok", meta
    original = pyfrctc.get_flow(session, sent["flowId"], doc_type="Original")
    assert original == pdf
    cdar = pyfrctc.get_flow(session, lifecycle[0]["flowId"], doc_type="Original")
    pyfrctc.check_cdar_xsd(cdar)
    parsed = pyfrctc.parse_cdar(cdar)
    print(f"pyfrctc: flow read back, acknowledged Ok; a status CDAR passes its XSD: {sorted(parsed)[:3]}")
    return sent["flowId"]


async def with_mcp(base, client_id, secret, flow_id):
    os.environ.update({
        "PA_BASE_URL_FLOW": f"{base}/afnor-flow",
        "PA_BASE_URL_DIRECTORY": f"{base}/afnor-directory",
        "PA_CLIENT_ID": client_id,
        "PA_CLIENT_SECRET": secret,
        "PA_TOKEN_URL": f"{base}/token",
    })
    from mcp_facture_electronique_fr.clients.flow_client import FlowClient
    from mcp_facture_electronique_fr.config import PAConfig

    client = FlowClient(config=PAConfig())
    found = await client.search_flows(flow_direction="Out", limit=100)
    ids = [f["flowId"] for f in found["results"]]
    assert flow_id in ids, found
    meta = await client.get_flow(flow_id)
    assert meta["flowSyntax"] == "Factur-X", meta
    print(f"mcp-facture-electronique-fr: {len(ids)} outgoing flows found, {flow_id} read back")


def main(base, client_id, secret, pdf_path):
    pdf = pathlib.Path(pdf_path).read_bytes()
    flow_id = with_pyfrctc(base, client_id, secret, pdf)
    asyncio.run(with_mcp(base, client_id, secret, flow_id))
    print("both clients: ok")


if __name__ == "__main__":
    main(*sys.argv[1:5])
