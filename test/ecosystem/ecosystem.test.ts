// Real MediaWiki clients, unmodified and run as their users run them, against the real server
// (`node bin/mwauth.mjs serve` in a child process, accounts from the CLI): mwn, nodemw and api-testing
// (npm), mwclient (Debian python3-mwclient) and MediaWiki::API (Debian libmediawiki-api-perl).
// Each logs in with a bot password and with a main account, fetches tokens, posts action=resetpassword
// by user name and by email address and reads the answer; the mail is checked for the right address and
// requester; the temporary password then goes through action=clientlogin and the forced change, and only
// the new password logs in afterwards.
//
// One server and one set of accounts serve every suite (each suite has its own account for the password
// change); the suites run one after the other. A suite whose client is missing is skipped, except with
// MWAUTH_REQUIRE_CLIENTS=1 (set by .ci/run), where it fails instead.
import { after, before } from 'node:test';
import { ALICE, BOB, BOTS, CAROL, CHANGERS, ROOT, startServer, type Shared } from './harness.js';
import { apiTestingSuite } from './suites/api-testing.js';
import { mediawikiApiPerlSuite } from './suites/mediawiki-api-perl.js';
import { mwclientSuite } from './suites/mwclient.js';
import { mwnSuite } from './suites/mwn.js';
import { nodemwSuite } from './suites/nodemw.js';

const shared = {} as Shared;

before(async () => {
  shared.server = await startServer('ecosystem', [ALICE, BOB, CAROL, ROOT, ...Object.values(CHANGERS)], BOTS);
  shared.botPassword = shared.server.botPasswords.get(`${ALICE.name}@app`)!;
  shared.basicOnlyPassword = shared.server.botPasswords.get(`${ALICE.name}@basiconly`)!;
});

after(async () => {
  await shared.server?.stop();
});

mwnSuite(shared);
nodemwSuite(shared);
apiTestingSuite(shared);
mwclientSuite(shared);
mediawikiApiPerlSuite(shared);
