// Every API module this server offers, by name.
import type { ModuleRegistry } from '../module.js';
import { changeAuthDataModule } from './changeauthenticationdata.js';
import { checkTokenModule } from './checktoken.js';
import { clientLoginModule } from './clientlogin.js';
import { createAccountModule } from './createaccount.js';
import { helpModule } from './help.js';
import { loginModule } from './login.js';
import { logoutModule } from './logout.js';
import { paramInfoModule } from './paraminfo.js';
import { META_MODULES, queryModule } from './query.js';
import { resetPasswordModule } from './resetpassword.js';
import { validatePasswordModule } from './validatepassword.js';
import { rsdModule } from './rsd.js';

export function createRegistry(): ModuleRegistry {
  const actions = [
    changeAuthDataModule, checkTokenModule, clientLoginModule, createAccountModule, helpModule, loginModule, logoutModule,
    paramInfoModule, queryModule, resetPasswordModule, rsdModule, validatePasswordModule,
  ];
  return {
    actions: new Map(actions.map((m) => [m.name, m])),
    meta: new Map(META_MODULES.map((m) => [m.name, m])),
  };
}
