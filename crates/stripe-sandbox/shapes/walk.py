"""Drives the offline Stripe through a whole subscription flow with the official `stripe` Python
library (16.0.x, the API version the relay pins) and walks every answer and every event against
the library's type annotations: each non-optional field present and not null, every value of
the right JSON type, every enum value one the library names, no field the library does not know.
The library itself never rejects a missing field, so parsing alone would prove nothing.

    python3 walk.py http://127.0.0.1:PORT sk_test_KEY http://app.test API_VERSION
Exit 0 when every answer conforms; otherwise each difference is printed, one per line.
"""
import decimal
import sys
import time
import urllib.parse
import urllib.request

import stripe
import stripe_types

BASE, KEY, APP, API_VERSION = sys.argv[1:5]
SHAPES = stripe_types.shapes()
problems = []
walked = {}

# Fields Stripe only sends on a deleted object.
ONLY_WHEN_DELETED = {"deleted"}


def check(value, t, path):
    if isinstance(t, dict) and "n" in t:
        if value is not None:
            check(value, t["n"], path)
        return
    if value is None:
        problems.append(f"{path}: null where the library says it never is")
        return
    if t == "a":
        return
    if t == "s" and not isinstance(value, str):
        problems.append(f"{path}: {value!r} is not a string")
    elif t == "i" and (not isinstance(value, int) or isinstance(value, bool)):
        problems.append(f"{path}: {value!r} is not an integer")
    elif t == "f" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        problems.append(f"{path}: {value!r} is not a number")
    elif t == "b" and not isinstance(value, bool):
        problems.append(f"{path}: {value!r} is not a boolean")
    elif t == "d":
        try:
            decimal.Decimal(value) if isinstance(value, str) else 1 / 0
        except Exception:
            problems.append(f"{path}: {value!r} is not a decimal string")
    elif isinstance(t, dict):
        (kind, inner), = t.items()
        if kind == "e":
            if value not in inner:
                problems.append(f"{path}: {value!r} is not one of {inner}")
        elif kind == "l":
            if not isinstance(value, list):
                problems.append(f"{path}: not an array")
            else:
                for i, v in enumerate(value):
                    check(v, inner, f"{path}[{i}]")
        elif kind == "m":
            if not isinstance(value, dict):
                problems.append(f"{path}: not an object")
            else:
                for k, v in value.items():
                    check(v, inner, f"{path}.{k}")
        elif kind == "x":
            if not isinstance(value, str):
                walk_object(value, path, inner)
        elif kind == "r":
            walk_object(value, path, inner)
        elif kind == "L":
            if not isinstance(value, dict) or value.get("object") != "list":
                problems.append(f"{path}: not a list object")
                return
            fields(value, {"object": {"e": ["list"]}, "data": {"l": inner}, "has_more": "b", "url": "s"}, path)
        elif kind == "o":
            if not isinstance(value, dict):
                problems.append(f"{path}: not an object")
            else:
                fields(value, inner, path)


def fields(value, shape, path, sparse=False):
    """Checks `value` against `shape`; `sparse` for Stripe's error objects, which leave out what
    does not apply rather than sending it as null."""
    for name, t in shape.items():
        if name not in value:
            if sparse and isinstance(t, dict) and "n" in t:
                continue
            if not (isinstance(t, dict) and "n" in t):
                problems.append(f"{path}.{name}: missing (the library says it is always there)")
            elif name not in ONLY_WHEN_DELETED:
                # Nullable fields: Stripe sends them as null when it has nothing.
                problems.append(f"{path}.{name}: missing (Stripe sends null)")
        else:
            check(value[name], t, f"{path}.{name}")
    for name in value:
        if name not in shape:
            problems.append(f"{path}.{name}: a field the library does not know")


def walk_object(value, path, expected=None):
    if not isinstance(value, dict):
        problems.append(f"{path}: {value!r} is not an object")
        return
    kind = value.get("object")
    if kind == "list":
        for i, item in enumerate(value.get("data", [])):
            walk_object(item, f"{path}.data[{i}]", expected)
        return
    if expected and kind != expected:
        problems.append(f"{path}: object {kind!r} where {expected!r} is expected")
    if kind not in SHAPES:
        problems.append(f"{path}: object {kind!r} is not one the walk knows")
        return
    walked[kind] = walked.get(kind, 0) + 1
    fields(value, SHAPES[kind], f"{kind}:")
    if kind == "event":
        walk_object(value["data"]["object"], f"{path}.data.object")


def answer(obj, what):
    walk_object(obj.last_response.data, what)
    return obj


client = stripe.StripeClient(KEY, base_addresses={"api": BASE}, max_network_retries=0)
v1 = client.v1
# The sandbox speaks one version (the relay asserts it is async-stripe's): the library pins it too.
assert stripe.api_version == API_VERSION, (stripe.api_version, API_VERSION)


def pay(session_id, card="4242424242424242"):
    form = {"method": "card", "card_number": card, "expiry": "12/34", "cvc": "123",
            "name": "Maçonnerie Dupont", "line1": "1 rue de la Paix", "postal_code": "75002",
            "city": "Paris", "country": "FR"}
    request = urllib.request.Request(f"{BASE}/c/pay/{session_id}",
                                     data=urllib.parse.urlencode(form).encode())

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None
    try:
        urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as e:
        assert e.code in (302, 303), e.code


now = int(time.time())
clock = answer(v1.test_helpers.test_clocks.create({"frozen_time": now, "name": "walk"}), "clock")
answer(v1.test_helpers.test_clocks.list(), "clocks")
customer = answer(v1.customers.create({"name": "Maçonnerie Dupont", "email": "compta@dupont.test",
                                       "test_clock": clock.id, "metadata": {"client_id": "39"},
                                       "preferred_locales": ["fr"]}), "customer")
answer(v1.customers.update(customer.id, {"metadata": {"client_id": "39", "plan": "mensuel"}}), "customer update")
answer(v1.customers.retrieve(customer.id), "customer retrieve")
answer(v1.customers.list({"test_clock": clock.id}), "customers")
config = answer(v1.billing_portal.configurations.create({"features": {
    "payment_method_update": {"enabled": True}, "invoice_history": {"enabled": True},
    "subscription_cancel": {"enabled": True, "mode": "at_period_end"}}}), "portal configuration")
answer(v1.billing_portal.configurations.retrieve(config.id), "portal configuration retrieve")
answer(v1.billing_portal.configurations.list(), "portal configurations")

line = {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 4900,
                                      "product_data": {"name": "Mensuel"}, "recurring": {"interval": "month"}}}
sub_session = answer(v1.checkout.sessions.create({
    "mode": "subscription", "customer": customer.id, "line_items": [line],
    "success_url": f"{APP}/payment-success?session_id={{CHECKOUT_SESSION_ID}}",
    "cancel_url": f"{APP}/payment-cancelled", "client_reference_id": "39",
    "metadata": {"client_id": "39", "plan": "mensuel"}, "locale": "fr",
    "subscription_data": {"metadata": {"client_id": "39", "plan": "mensuel"}}}), "subscription checkout")
pay(sub_session.id)
done = answer(v1.checkout.sessions.retrieve(sub_session.id, {"expand": ["subscription", "customer"]}), "session expanded")
assert isinstance(done.subscription, stripe.Subscription), "expand[]=subscription gives the object"
answer(v1.checkout.sessions.line_items.list(sub_session.id), "session line items")
answer(v1.checkout.sessions.list({"customer": customer.id}), "sessions")
sub = answer(v1.subscriptions.retrieve(done.subscription.id, {"expand": ["latest_invoice", "default_payment_method"]}), "subscription")
answer(v1.subscriptions.list({"customer": customer.id}), "subscriptions")
for month in range(3):
    clock = v1.test_helpers.test_clocks.retrieve(clock.id)
    answer(v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": clock.frozen_time + 32 * 86400}), "advance")
    for _ in range(100):
        clock = answer(v1.test_helpers.test_clocks.retrieve(clock.id), "clock")
        if clock.status == "ready":
            break
        time.sleep(0.05)
invoices = answer(v1.invoices.list({"customer": customer.id}), "invoices")
assert len(invoices.data) >= 4, len(invoices.data)
answer(v1.invoices.list({"subscription": sub.id, "status": "paid", "limit": 2}), "invoices page")
invoice = answer(v1.invoices.retrieve(invoices.data[0].id, {"expand": ["parent.subscription_details.subscription", "customer"]}), "invoice")
answer(v1.invoices.line_items.list(invoice.id), "invoice lines")
paid_invoice = next(i for i in invoices.data if i.status == "paid" and i.amount_paid > 0)
payments = answer(v1.invoice_payments.list({"invoice": paid_invoice.id}), "invoice payments")
assert payments.data[0].status == "paid", payments
invoice_intent = answer(v1.payment_intents.retrieve(payments.data[0].payment.payment_intent), "invoice's intent")
assert invoice_intent.amount_received == paid_invoice.amount_paid, invoice_intent
portal = answer(v1.billing_portal.sessions.create({"customer": customer.id, "return_url": f"{APP}/abonnement"}), "portal session")
answer(v1.subscriptions.update(sub.id, {"cancel_at_period_end": True}), "cancel at period end")
answer(v1.subscriptions.update(sub.id, {"cancel_at_period_end": False}), "resume")

once = answer(v1.checkout.sessions.create({
    "mode": "payment", "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 49900,
                                                                     "product_data": {"name": "Annuel"}}}],
    "success_url": f"{APP}/payment-success?session_id={{CHECKOUT_SESSION_ID}}",
    "cancel_url": f"{APP}/payment-cancelled", "client_reference_id": "39", "customer": customer.id,
    "metadata": {"client_id": "39", "plan": "annuel"}, "locale": "fr"}), "payment checkout")
pay(once.id)
paid = answer(v1.checkout.sessions.retrieve(once.id, {"expand": ["payment_intent"]}), "paid session")
intent = answer(v1.payment_intents.retrieve(paid.payment_intent.id), "payment intent")
part = answer(v1.refunds.create({"payment_intent": intent.id, "amount": 1000, "reason": "requested_by_customer",
                                 "metadata": {"facture": "FA-2026-000001"}}), "partial refund")
assert part.status == "succeeded", part.status
rest = answer(v1.refunds.create({"charge": intent.latest_charge}), "refund of the rest")
assert rest.amount == 49900 - 1000, rest.amount
answer(v1.refunds.retrieve(part.id), "refund retrieve")
answer(v1.refunds.list({"payment_intent": intent.id}), "refunds")
answer(v1.charges.list({"payment_intent": intent.id}), "charges")
answer(v1.payment_intents.list({"customer": customer.id}), "payment intents")
charge = answer(v1.charges.retrieve(intent.latest_charge), "charge")
assert charge.refunded and charge.amount_refunded == 49900, charge
fraud = v1.checkout.sessions.create({
    "mode": "payment", "line_items": [line | {"price_data": {"currency": "eur", "unit_amount": 4900, "product_data": {"name": "Mensuel"}}}],
    "success_url": f"{APP}/ok", "cancel_url": f"{APP}/ko", "customer": customer.id})
pay(fraud.id, "4000000000000259")
fraud_intent = v1.checkout.sessions.retrieve(fraud.id).payment_intent
for _ in range(200):  # the bank disputes it once the payment's events are delivered
    if v1.disputes.list({"payment_intent": fraud_intent}).data:
        break
    time.sleep(0.01)
disputes = answer(v1.disputes.list({"payment_intent": fraud_intent}), "disputes")
dispute = answer(v1.disputes.retrieve(disputes.data[0].id), "dispute")
assert dispute.status == "needs_response" and dispute.evidence_details.due_by, dispute
draft = answer(v1.disputes.update(dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}, "submit": False}), "dispute draft")
assert draft.status == "needs_response", draft.status
won = answer(v1.disputes.update(dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}}), "dispute won")
assert won.status == "won", won.status
assert answer(v1.charges.retrieve(dispute.charge), "disputed charge").disputed
other = v1.checkout.sessions.create({
    "mode": "payment", "line_items": [line | {"price_data": {"currency": "eur", "unit_amount": 4900, "product_data": {"name": "Mensuel"}}}],
    "success_url": f"{APP}/ok", "cancel_url": f"{APP}/ko"})
answer(v1.checkout.sessions.expire(other.id), "expired session")
answer(v1.subscriptions.cancel(sub.id), "cancel now")

events = answer(v1.events.list({"limit": 100}), "events")
for e in events.data[:3]:
    answer(v1.events.retrieve(e.id), "event")

# Errors: Stripe's shapes, raised by the library as Stripe's error classes.
def error(call, cls, status):
    try:
        call()
    except cls as e:
        assert e.http_status == status, (e.http_status, status)
        fields(e.json_body["error"], {n: stripe_types.describe(t, b) for n, (t, b) in
                                      stripe_types.fields(stripe._error_object.ErrorObject).items()}, f"error {cls.__name__}",
               sparse=True)
        return
    problems.append(f"{cls.__name__} expected")


error(lambda: stripe.StripeClient("sk_test_wrong", base_addresses={"api": BASE}).v1.customers.list(),
      stripe.AuthenticationError, 401)
error(lambda: v1.customers.retrieve("cus_missing"), stripe.InvalidRequestError, 404)
error(lambda: v1.checkout.sessions.retrieve(once.id, {"expand": ["livemode"]}), stripe.InvalidRequestError, 400)
error(lambda: client.raw_request("get", "/v1/nothing_here"), stripe.InvalidRequestError, 404)
error(lambda: v1.refunds.create({"payment_intent": intent.id}), stripe.InvalidRequestError, 400)
error(lambda: v1.refunds.create({"payment_intent": "pi_missing"}), stripe.InvalidRequestError, 404)
error(lambda: v1.disputes.update(dispute.id, {"evidence": {"uncategorized_text": "losing_evidence"}}), stripe.InvalidRequestError, 400)
error(lambda: v1.billing_portal.sessions.create({"customer": customer.id, "return_url": "https://evil.test/"}),
      stripe.InvalidRequestError, 400)

print("walked: " + ", ".join(f"{k} ×{n}" for k, n in sorted(walked.items())))
for p in sorted(set(problems)):
    print(p)
print(f"{len(set(problems))} difference(s)")
sys.exit(1 if problems else 0)
