// Progress of a long import or export. On a terminal: a bar (cli-progress) with done/total, the rate and
// the time left. Otherwise (a log, cron's mail): one line per tenth done, so a log shows it moving
// without filling up.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** What is counted ("records"). */
  unit: string;
  /** null: unknown (no bar, no percentages: a line per 100,000). */
  total: number | null;
  /** A terminal's stream for the bar, or null for lines. */
  tty: NodeJS.WritableStream | null;
  /** Where lines go (without a terminal). */
  line: (text: string) => void;
  now?: () => number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function startProgress(o: ProgressOptions): Progress {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const rate = (done: number) => done / Math.max((now() - t0) / 1000, 0.001);

  if (o.tty && o.total !== null) {
    const bar = new cliProgress.SingleBar(
      {
        stream: o.tty,
        format: `{bar} {percentage}% | {value}/{total} ${o.unit} | {rate}/s | ETA {eta_formatted}`,
        formatValue: (v, _opts, type) => (type === 'value' || type === 'total' ? fmt(v) : String(v)),
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(o.total, 0, { rate: '0' });
    return {
      update: (done) => bar.update(done, { rate: fmt(rate(done)) }),
      stop: () => bar.stop(),
    };
  }

  let next = 1;
  return {
    update(done) {
      if (o.total === null) {
        if (done >= next * 100_000) {
          o.line(`${fmt(done)} ${o.unit}, ${fmt(rate(done))}/s`);
          next = Math.floor(done / 100_000) + 1;
        }
        return;
      }
      if (o.total === 0 || done * 10 < next * o.total) return;
      const tenth = Math.min(10, Math.floor((done * 10) / o.total));
      const r = rate(done);
      o.line(`${tenth * 10} % (${fmt(done)}/${fmt(o.total)} ${o.unit}), ${fmt(r)}/s, ${done >= o.total ? 'done' : `about ${duration((o.total - done) / r)} left`}`);
      next = tenth + 1;
    },
    stop() {},
  };
}
