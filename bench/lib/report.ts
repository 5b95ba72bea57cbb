// docs/performance.md as bench/api.ts writes it: sections between markers, each replaced by the run that
// measures it (the main table, the large-population study), and a chart drawn as plain SVG from the data.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Bar {
  series: string;
  value: number | null;
}
export interface ChartGroup {
  label: string;
  bars: Bar[];
}

const COLORS: Record<string, string> = {
  'raw ceiling': '#9e9e9e',
  'PBKDF2 ceiling': '#9e9e9e',
  mwauth: '#1f6feb',
  MediaWiki: '#d97706',
};
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * Horizontal bars on a logarithmic scale (the figures span from a few logins to tens of thousands of
 * requests a second), one group per scenario, each bar labelled with its figure.
 */
export function chartSvg(title: string, unit: string, groups: ChartGroup[]): string {
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v): v is number => v !== null && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 10))));
  const left = 210;
  const width = 860;
  const plot = width - left - 90;
  const barH = 14;
  const gap = 3;
  const x = (v: number) => left + (plot * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const out: string[] = [];
  let y = 48;
  for (const g of groups) {
    const bars = g.bars.filter((b) => b.value !== null);
    const h = bars.length * (barH + gap);
    out.push(`<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end" font-size="12">${escape(g.label)}</text>`);
    for (const b of bars) {
      const v = Math.max(b.value!, lo);
      out.push(`<rect x="${left}" y="${y}" width="${(x(v) - left).toFixed(1)}" height="${barH}" fill="${COLORS[b.series] ?? '#555'}"><title>${escape(`${b.series}: ${fmt(b.value!)} ${unit}`)}</title></rect>`);
      out.push(`<text x="${(x(v) + 4).toFixed(1)}" y="${y + barH - 3}" font-size="11">${escape(fmt(b.value!))}</text>`);
      y += barH + gap;
    }
    y += 12;
  }
  const ticks: string[] = [];
  for (let t = lo; t <= hi; t *= 10) {
    ticks.push(`<line x1="${x(t).toFixed(1)}" y1="40" x2="${x(t).toFixed(1)}" y2="${y}" stroke="#ddd"/>`);
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${y + 14}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  const series = [...new Set(groups.flatMap((g) => g.bars.filter((b) => b.value !== null).map((b) => b.series)))];
  const legend = series.map((s, i) => `<rect x="${left + i * 150}" y="22" width="12" height="12" fill="${COLORS[s] ?? '#555'}"/><text x="${left + i * 150 + 16}" y="32" font-size="12">${escape(s)}</text>`);
  const height = y + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="16" font-size="13" font-weight="bold">${escape(title)}</text>`,
    ...ticks,
    ...legend,
    ...out,
    `<text x="${left + plot / 2}" y="${height - 4}" text-anchor="middle" font-size="11">${escape(unit)} (logarithmic scale)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

const HEADER = `# Performance

Measured by \`npm run bench:api\` (bench/api.ts), which rewrites the sections below; the figures depend on
the machine and on what else ran on it (the load average is given). Each mwauth figure is set against the
ceiling of the same machine and client: a bare fastify answering a fixed body (for requests) and the PBKDF2
hashes per second with mwauth's parameters (for logins, which cost one hash each).
`;

/** Replaces (or adds) the section between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in `file`. */
export function writeSection(file: string, name: string, content: string): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${content.trim()}\n${close}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  text = a !== -1 && b > a ? text.slice(0, a) + block + text.slice(b + close.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** A Markdown table: the first row is the header; columns after the first are right-aligned. */
export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `|${head!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
