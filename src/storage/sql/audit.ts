// The audit trail in the database (audit_event); details are stored as JSON.
import type { Db } from '../db.js';
import type { AuditEvent, AuditFilter, AuditRecord, AuditStore } from '../../audit/log.js';
import { deleteFirst } from './dialect.js';

export class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Db) {}

  async add(e: AuditRecord): Promise<void> {
    await this.db
      .insertInto('audit_event')
      .values({ ae_time: e.time, ae_type: e.type, ae_user: e.userId, ae_user_name: e.userName, ae_ip: e.ip, ae_details: JSON.stringify(e.details) })
      .execute();
  }

  async query(f: AuditFilter): Promise<AuditEvent[]> {
    let sel = this.db.selectFrom('audit_event').selectAll();
    const user = f.user;
    if (user) {
      sel = sel.where((eb) => {
        const either = [];
        if (user.id !== undefined) either.push(eb('ae_user', '=', user.id));
        if (user.name !== undefined) either.push(eb('ae_user_name', '=', user.name));
        return either.length ? eb.or(either) : eb.val(false);
      });
    }
    if (f.since !== undefined) sel = sel.where('ae_time', '>=', f.since);
    if (f.types) {
      if (f.types.length === 0) return [];
      sel = sel.where('ae_type', 'in', [...f.types]);
    }
    const rows = await sel.orderBy('ae_id', 'desc').limit(f.limit).execute();
    return rows.reverse().map((r) => ({
      id: Number(r.ae_id),
      time: Number(r.ae_time),
      type: r.ae_type,
      userId: r.ae_user === null ? null : Number(r.ae_user),
      userName: r.ae_user_name,
      ip: r.ae_ip,
      details: JSON.parse(r.ae_details) as Record<string, unknown>,
    }));
  }

  pruneBatch(before: number, max: number): Promise<number> {
    return deleteFirst(this.db, { table: 'audit_event', id: 'ae_id', where: (eb) => eb('ae_time', '<', before), orderBy: 'ae_time', limit: max });
  }
}
