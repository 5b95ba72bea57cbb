#!/usr/bin/python3
"""Log in with a temporary password from a reset mail through action=clientlogin,
answer the forced password change, then log in again with the new password.

  1. GET  action=query&meta=tokens&type=login             -> logintoken
  2. POST action=clientlogin (username, password = temporary password,
          loginreturnurl, logintoken)                      -> status UI (password, retype)
  3. POST action=clientlogin (logincontinue=1, password, retype, logintoken) -> PASS
  4. in a new session: login token + action=clientlogin with the new password -> PASS,
     then meta=userinfo names the user.

Prints one JSON object: {"ui": <step 2>, "change": <step 3>, "relogin": <step 4>, "userinfo": <name>}.
Exits 1 when a step does not give the expected status.

Usage: clientlogin_change.py --url URL --user NAME --temp-password TEMP --new-password NEW
Environment: MW_API_URL.
"""
import argparse
import json
import os
import sys

import requests


def fail(message):
    print("clientlogin_change.py: " + message, file=sys.stderr)
    sys.exit(1)


def login_token(session, api):
    reply = session.get(api, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"})
    return reply.json()["query"]["tokens"]["logintoken"]


def main():
    parser = argparse.ArgumentParser(description="Use a temporary password and set a new one via action=clientlogin.")
    parser.add_argument("--url", default=os.environ.get("MW_API_URL"))
    parser.add_argument("--user", required=True)
    parser.add_argument("--temp-password", required=True)
    parser.add_argument("--new-password", required=True)
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set MW_API_URL")
    api = args.url
    return_url = api.split("/w/api.php")[0] + "/"
    out = {}

    session = requests.Session()
    token = login_token(session, api)
    reply = session.post(api, data={
        "action": "clientlogin",
        "username": args.user,
        "password": args.temp_password,
        "loginreturnurl": return_url,
        "logintoken": token,
        "format": "json",
        "formatversion": "2",
    })
    out["ui"] = reply.json()
    ui = out["ui"].get("clientlogin", {})
    if ui.get("status") != "UI":
        print(json.dumps(out))
        fail("expected status UI after the temporary password, got %r" % (ui,))
    fields = set()
    for request in ui.get("requests", []):
        fields.update((request.get("fields") or {}).keys())
    if not {"password", "retype"} <= fields:
        print(json.dumps(out))
        fail("the UI response does not ask for password and retype: %r" % (sorted(fields),))

    reply = session.post(api, data={
        "action": "clientlogin",
        "logincontinue": "1",
        "password": args.new_password,
        "retype": args.new_password,
        "logintoken": token,
        "format": "json",
        "formatversion": "2",
    })
    out["change"] = reply.json()
    if out["change"].get("clientlogin", {}).get("status") != "PASS":
        print(json.dumps(out))
        fail("the password change did not PASS")

    fresh = requests.Session()
    token = login_token(fresh, api)
    reply = fresh.post(api, data={
        "action": "clientlogin",
        "username": args.user,
        "password": args.new_password,
        "loginreturnurl": return_url,
        "logintoken": token,
        "format": "json",
        "formatversion": "2",
    })
    out["relogin"] = reply.json()
    reply = fresh.get(api, params={"action": "query", "meta": "userinfo", "format": "json", "formatversion": "2"})
    out["userinfo"] = reply.json().get("query", {}).get("userinfo", {}).get("name")
    print(json.dumps(out))
    if out["relogin"].get("clientlogin", {}).get("status") != "PASS":
        fail("logging in with the new password did not PASS")


if __name__ == "__main__":
    main()
