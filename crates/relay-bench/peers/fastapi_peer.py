"""The seed's stack, as a user would write it: FastAPI + stripe-python, SQLite in WAL with
synchronous=FULL, one transaction per webhook, the signature checked by Stripe's own library on
the raw body. Run by relay-bench with `uvicorn --workers 2`."""

import os
import sqlite3
import time

import stripe
from fastapi import FastAPI, HTTPException, Request

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
DB = sqlite3.connect(os.environ["PEER_SQLITE"], isolation_level=None, check_same_thread=False)
DB.execute("PRAGMA journal_mode=WAL")
DB.execute("PRAGMA synchronous=FULL")
DB.execute("PRAGMA busy_timeout=10000")

app = FastAPI()


@app.get("/healthz")
async def healthz():
    return {"ok": True}


@app.post("/api/stripe/webhook")
async def webhook(request: Request):
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    session = event["data"]["object"]
    DB.execute("BEGIN IMMEDIATE")
    try:
        new = DB.execute("INSERT INTO events (id) VALUES (?) ON CONFLICT DO NOTHING", (event["id"],)).rowcount
        if new and event["type"] == "checkout.session.completed" and session["payment_status"] == "paid":
            now = int(time.time())
            DB.execute(
                "INSERT INTO subs (client, plan, expires) VALUES (?, ?, ?) ON CONFLICT (client) DO UPDATE"
                " SET plan = excluded.plan, expires = MAX(subs.expires, ?) + 2592000",
                (session["metadata"]["client_id"], session["metadata"]["plan"], now + 2592000, now),
            )
        DB.execute("COMMIT")
    except Exception:
        DB.execute("ROLLBACK")
        raise
    return {"received": True}
