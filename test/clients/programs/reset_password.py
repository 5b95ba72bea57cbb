#!/usr/bin/python3
"""Ask an mwauth (or MediaWiki) wiki to mail a password reset, the way
MediaWiki's API:Resetpassword Python demo does it, with `requests`:

  1. GET  action=query&meta=tokens&type=login      -> logintoken
  2. POST action=login (lgname, lgpassword, lgtoken)
  3. GET  action=query&meta=tokens (no type: csrf)  -> csrftoken
  4. POST action=resetpassword (email= or user=, token)

Steps 1 and 2 run only when a login name is given (--lgname or MW_LGNAME).
The raw body of step 4 is printed on stdout; anything else goes to stderr.

Usage:
  reset_password.py [--url URL] (--email ADDRESS | --user NAME)
                    [--lgname NAME --lgpassword PASSWORD]
Environment: MW_API_URL, MW_LGNAME, MW_LGPASSWORD.
"""
import argparse
import os
import sys

import requests


def fail(message):
    print("reset_password.py: " + message, file=sys.stderr)
    sys.exit(1)


def json_of(response, step):
    try:
        return response.json()
    except ValueError:
        fail("%s: HTTP %d, not JSON: %r" % (step, response.status_code, response.text[:300]))


def main():
    parser = argparse.ArgumentParser(description="Send a password reset mail through action=resetpassword.")
    parser.add_argument("--url", default=os.environ.get("MW_API_URL"), help="api.php URL (or MW_API_URL)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--email", help="reset every account with this email address")
    target.add_argument("--user", help="reset this account")
    parser.add_argument("--lgname", default=os.environ.get("MW_LGNAME"), help="log in first as this user (or MW_LGNAME)")
    parser.add_argument("--lgpassword", default=os.environ.get("MW_LGPASSWORD"), help="its password (or MW_LGPASSWORD)")
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set MW_API_URL")
    if args.lgname and args.lgpassword is None:
        parser.error("--lgname needs --lgpassword (or MW_LGPASSWORD)")

    session = requests.Session()
    api = args.url

    if args.lgname:
        # Step 1: a login token; the session cookie comes with it.
        reply = session.get(api, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"})
        login_token = json_of(reply, "step 1")["query"]["tokens"]["logintoken"]

        # Step 2: log in (a bot password "Name@app" or the main account).
        reply = session.post(api, data={
            "action": "login",
            "lgname": args.lgname,
            "lgpassword": args.lgpassword,
            "lgtoken": login_token,
            "format": "json",
        })
        login = json_of(reply, "step 2").get("login", {})
        if login.get("result") != "Success":
            fail("login failed: %r" % (login,))
        print("logged in as %s" % login.get("lgusername"), file=sys.stderr)

    # Step 3: the csrf token (csrf is the default type).
    reply = session.get(api, params={"action": "query", "meta": "tokens", "format": "json"})
    csrf_token = json_of(reply, "step 3")["query"]["tokens"]["csrftoken"]

    # Step 4: the reset itself.
    fields = {"action": "resetpassword", "token": csrf_token, "format": "json"}
    if args.email is not None:
        fields["email"] = args.email
    else:
        fields["user"] = args.user
    reply = session.post(api, data=fields)
    print(reply.text)
    if reply.status_code != 200:
        sys.exit(1)


if __name__ == "__main__":
    main()
