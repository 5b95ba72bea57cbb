#!/usr/bin/python3
"""A script written with mwclient 0.10.1 (Debian python3-mwclient), the way its users write one.

Run: /usr/bin/python3 mwclient_client.py '<json>'

  {"mode": "reset", "host": "127.0.0.1:PORT", "username", "password", "user" | "email"}
      Site(host, path='/w/', scheme='http') (siteinfo + userinfo), site.login() (login token, action=login,
      userinfo again), site.get_token('csrf'), site.api('resetpassword', 'POST', ..., token=...).
  {"mode": "clientlogin", "host", "username", "tempPassword", "newPassword", "returnUrl"}
      action=clientlogin through site.post() with the temporary password, the forced change, then
      site.login() on a new Site with the new password.

mwclient reports API warnings and retries through Python logging; they go to stderr here.
Prints its findings as `RESULT {json}` on stdout.
"""
import json
import logging
import sys

import mwclient

logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

args = json.loads(sys.argv[1])
out = {}
AGENT = "mwauth-ecosystem-test/1.0"


def new_site():
    return mwclient.Site(args["host"], path="/w/", scheme="http", clients_useragent=AGENT, retry_timeout=1, max_retries=2)


def describe_site(site):
    return {
        "username": site.username,
        "logged_in": site.logged_in,
        "groups": site.groups,
        "version": list(site.version),
        "namespaces": {str(k): v for k, v in site.namespaces.items() if k in (2, 3)},
    }


def reset():
    site = new_site()
    out["anonymous"] = describe_site(site)
    site.login(args["username"], args["password"])
    out["site"] = describe_site(site)
    token = site.get_token("csrf")
    out["csrfToken"] = token
    target = {"user": args["user"]} if "user" in args else {"email": args["email"]}
    out["reset"] = site.api("resetpassword", "POST", token=token, **target)


def clientlogin():
    site = new_site()
    token = site.get_token("login")
    out["ui"] = site.post("clientlogin", username=args["username"], password=args["tempPassword"],
                          loginreturnurl=args["returnUrl"], logintoken=token)
    out["change"] = site.post("clientlogin", logincontinue="1", password=args["newPassword"],
                              retype=args["newPassword"], logintoken=token)
    out["userinfoAfterChange"] = site.get("query", meta="userinfo")["query"]["userinfo"]

    again = new_site()
    again.login(args["username"], args["newPassword"])
    out["relogin"] = describe_site(again)


def main():
    code = 0
    try:
        if args["mode"] == "reset":
            reset()
        elif args["mode"] == "clientlogin":
            clientlogin()
        else:
            raise ValueError("unknown mode " + args["mode"])
    except Exception as e:  # report what mwclient raised, with its arguments
        out["error"] = {"type": type(e).__name__, "args": [str(a) for a in e.args]}
        code = 1
    print("RESULT " + json.dumps(out))
    sys.exit(code)


if __name__ == "__main__":
    main()
