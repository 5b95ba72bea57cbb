// Creating an account with a password: one set of checks for action=createaccount and Special:CreateAccount.
import type { Authenticator } from '../auth/login.js';
import type { PasswordHasher } from '../auth/passwords.js';
import { msg, type Msg } from '../util/errors.js';
import { canonicalUserName, isCreatableName, isValidEmail } from './names.js';
import type { Performer } from './performer.js';
import type { User, UserStore } from './users.js';

export interface NewAccountInput {
  username: string;
  password: string;
  /** null when the client sent no retype (the API allows that). */
  retype: string | null;
  email: string;
}

/** The field a refusal is about, so that a form can show it there; null for the whole request. */
export type NewAccountField = 'username' | 'password' | 'retype' | 'email' | null;

export type NewAccountOutcome = { status: 'PASS'; user: User } | { status: 'FAIL'; message: Msg; field: NewAccountField };

/**
 * Whether a new account may take this canonical (and creatable) name: `userexists` when an account has
 * it, AntiSpoof's `antispoof-conflict-top` when it is confusable with existing names (the same UTS #39
 * skeleton: "Аlice" with a Cyrillic А when "Alice" exists), null when it is free. Every way of creating an
 * account asks this: the API, the page (both through createAccount below) and `mwauth user add`.
 */
export async function newNameProblem(users: UserStore, name: string): Promise<Msg | null> {
  if (await users.byName(name)) return msg('userexists');
  const similar = (await users.confusableWith(name)).filter((n) => n !== name);
  return similar.length ? msg('antispoof-conflict-top', name, similar.length) : null;
}

export async function createAccount(
  s: { users: UserStore; hasher: PasswordHasher; auth: Authenticator },
  performer: Performer,
  input: NewAccountInput,
): Promise<NewAccountOutcome> {
  const fail = (field: NewAccountField, key: string, ...params: Msg['params']): NewAccountOutcome => ({ status: 'FAIL', message: msg(key, ...params), field });
  if (!performer.can('createaccount')) return fail(null, 'badaccess-groups');
  const block = await performer.block();
  if (block?.createAccount) return fail(null, 'cantcreateaccount-text', block.by, block.reason);

  const email = input.email.trim();
  const name = canonicalUserName(input.username);
  if (!name || !isCreatableName(name)) return fail('username', 'noname');
  const taken = await newNameProblem(s.users, name);
  if (taken) return { status: 'FAIL', message: taken, field: 'username' };
  if (email && !isValidEmail(email)) return fail('email', 'invalidemailaddress');
  if (!input.password) return fail('password', 'authmanager-authn-no-primary');
  const problem = s.auth.validateNewPassword({ name } as User, [], input.password, input.retype ?? input.password);
  if (problem) return { status: 'FAIL', message: problem, field: problem.key === 'badretype' ? 'retype' : 'password' };
  try {
    const user = await s.users.create({ name, email, passwordHash: await s.hasher.hash(input.password) });
    return { status: 'PASS', user };
  } catch {
    // Two requests raced for the same name; the unique index let one win.
    return fail('username', 'userexists');
  }
}
