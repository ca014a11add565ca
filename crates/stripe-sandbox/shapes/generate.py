"""Writes shapes.json, the field lists the sandbox completes its objects with, from the typed
classes of the official `stripe` Python library at the API version the relay pins. Run it again
after moving to a new API version (`pip install stripe==<version>`); the walk test fails while
the committed file differs from what the installed library says.

    python3 generate.py > shapes.json
"""
import json
import sys

import stripe
import stripe_types

if __name__ == "__main__":
    shapes = stripe_types.shapes()
    json.dump({"api_version": stripe.api_version, "objects": shapes}, sys.stdout,
              sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sys.stdout.write("\n")
