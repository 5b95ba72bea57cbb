// Tells a listener of every statement the stores send to the database, as it is sent: what kind it is
// (select, insert, update, delete, raw) and the table it names first. Tests count a request's statements
// with it; a server runs without it.
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

export interface QueryEvent {
  kind: 'select' | 'insert' | 'update' | 'delete' | 'other';
  /** The first table the statement names ('' when none can be seen: raw SQL). */
  table: string;
}

const KINDS: Record<string, QueryEvent['kind']> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
};

/** The name of the first table under `node` (a FROM, INTO or the updated table), or ''. */
function firstTable(node: unknown): string {
  const n = node as Record<string, unknown> & { kind?: string };
  if (!n || typeof n !== 'object') return '';
  if (n.kind === 'TableNode') return ((n.table as { identifier?: { name?: string } })?.identifier?.name) ?? '';
  for (const key of ['from', 'into', 'table', 'froms']) {
    const v = n[key];
    const list = Array.isArray(v) ? v : v ? [v] : [];
    for (const item of list) {
      const name = firstTable(item);
      if (name) return name;
    }
  }
  return '';
}

export class QueryTap implements KyselyPlugin {
  constructor(private readonly listener: (e: QueryEvent) => void) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node: OperationNode = args.node;
    this.listener({ kind: KINDS[node.kind] ?? 'other', table: firstTable(node) });
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
