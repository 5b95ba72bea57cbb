// The module tree as MediaWiki names it for paraminfo and help: "main" holds the actions and the
// printers (group "format"); "query" holds its prop, list and meta submodules ("query+tokens").
import type { ApiServices } from '../module.js';
import { ApiError } from '../errors.js';
import { PRINTERS, type PrinterDef } from '../formats/index.js';
import { actionNames, mainModule } from '../mainmodule.js';
import { defineModule, type ModuleDef } from '../module.js';

export interface ModuleNode {
  def: ModuleDef;
  /** "main", "resetpassword", "query+tokens", "json". */
  path: string;
  /** The group in the parent's manager ("action", "format", "meta"); none for main. */
  group: string | null;
}

const printerModules = new Map<string, ModuleDef>();
function printerModule(p: PrinterDef): ModuleDef {
  let m = printerModules.get(p.name);
  if (!m) {
    m = defineModule({
      name: p.name,
      summary: p.summary,
      params: p.params,
      helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Data_formats',
      async execute() {
        return {};
      },
    });
    printerModules.set(p.name, m);
  }
  return m;
}

export const MAIN_NODE: ModuleNode = { def: mainModule, path: 'main', group: null };

/** A module's submodules by name, or null when it has no module manager. */
export function submodules(s: ApiServices, node: ModuleNode): Map<string, ModuleNode> | null {
  if (node.path === 'main') {
    const out = new Map<string, ModuleNode>();
    for (const name of actionNames(s)) {
      const def = s.modules.actions.get(name)!;
      out.set(name, { def, path: def.path ?? name, group: 'action' });
    }
    for (const p of PRINTERS) out.set(p.name, { def: printerModule(p), path: p.name, group: 'format' });
    return out;
  }
  if (node.path === 'query') {
    const out = new Map<string, ModuleNode>();
    for (const [name, def] of s.modules.meta) out.set(name, { def, path: def.path ?? `query+${name}`, group: 'meta' });
    return out;
  }
  return null;
}

/** ApiBase::getModuleFromPath(): "main", "login", "query+tokens" (a "+" typed into a URL arrives as a space). */
export function moduleFromPath(s: ApiServices, path: string): ModuleNode {
  if (path === 'main') return MAIN_NODE;
  let parts = path.split('+');
  if (parts.length === 1) parts = path.split(' ');
  let node = MAIN_NODE;
  for (let i = 0; i < parts.length; i++) {
    const subs = submodules(s, node);
    if (subs === null) {
      throw new ApiError('badmodule', 'apierror-badmodule-nosubmodules', [parts.slice(0, i).join('+')]);
    }
    const next = subs.get(parts[i]!);
    if (!next) {
      const parentPath = i ? parts.slice(0, i).join('+') : node.def.name;
      throw new ApiError('badmodule', 'apierror-badmodule-badsubmodule', [parentPath, parts[i]!]);
    }
    node = next;
  }
  return node;
}

/** Every submodule's path, sorted by name (recursively for "+**"). */
export function allSubmodulePaths(s: ApiServices, node: ModuleNode, recursive: boolean): string[] {
  const subs = submodules(s, node);
  if (!subs) return [];
  const out: string[] = [];
  for (const name of [...subs.keys()].sort()) {
    const sub = subs.get(name)!;
    out.push(sub.path);
    if (recursive) out.push(...allSubmodulePaths(s, sub, true));
  }
  return out;
}
