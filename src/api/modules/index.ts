// Every API module this server offers, by name.
import type { ModuleDef } from '../module.js';
import { changeAuthDataModule } from './changeauthenticationdata.js';
import { clientLoginModule } from './clientlogin.js';
import { createAccountModule } from './createaccount.js';
import { helpModule } from './help.js';
import { loginModule } from './login.js';
import { logoutModule } from './logout.js';
import { paramInfoModule } from './paraminfo.js';
import { META_MODULES, queryModule } from './query.js';
import { resetPasswordModule } from './resetpassword.js';
import { rsdModule } from './rsd.js';

export interface ModuleRegistry {
  actions: Map<string, ModuleDef>;
  meta: Map<string, ModuleDef>;
}

export function createRegistry(): ModuleRegistry {
  const actions = [
    changeAuthDataModule, clientLoginModule, createAccountModule, helpModule, loginModule, logoutModule,
    paramInfoModule, queryModule, resetPasswordModule, rsdModule,
  ];
  return {
    actions: new Map(actions.map((m) => [m.name, m])),
    meta: new Map(META_MODULES.map((m) => [m.name, m])),
  };
}
