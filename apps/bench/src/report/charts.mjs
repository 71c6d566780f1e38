// Hand-written SVG bar charts (no chart dependency): grouped horizontal bars with labels, a
// value on each bar, and optional vertical reference lines (goals, 1.0).
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const PALETTE = ['#2f6fb0', '#e07b39', '#3a9e5c', '#b8439a', '#8a6d3b', '#6c6c6c'];

/**
 * groups: [{ label, bars: [{ series, value, text? }] }]; series: names in legend order;
 * lines: [{ at, label, color? }]; max: the axis end.
 */
export function barChart({
  title,
  subtitle,
  groups,
  series,
  lines = [],
  max,
  format = (v) => v.toFixed(2),
}) {
  const barH = 14;
  const gap = 4;
  const groupGap = 14;
  const left = 130;
  const right = 70;
  const width = 760;
  const plot = width - left - right;
  const top = 58;
  const groupHeights = groups.map((g) => g.bars.length * (barH + gap) - gap);
  const height = top + groupHeights.reduce((s, h) => s + h + groupGap, 0) + 52;
  const x = (v) => left + (Math.min(v, max) / max) * plot;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="15" font-weight="600">${esc(title)}</text>`,
  );
  if (subtitle) out.push(`<text x="${left}" y="37" fill="#555">${esc(subtitle)}</text>`);
  // Legend.
  let lx = left;
  series.forEach((name, i) => {
    out.push(
      `<rect x="${lx}" y="44" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${lx + 14}" y="53">${esc(name)}</text>`,
    );
    lx += 24 + name.length * 6.5;
  });
  let y = top + 6;
  groups.forEach((g, gi) => {
    const gh = groupHeights[gi];
    out.push(
      `<text x="${left - 8}" y="${y + gh / 2 + 4}" text-anchor="end" font-weight="600">${esc(g.label)}</text>`,
    );
    for (const bar of g.bars) {
      const color = PALETTE[series.indexOf(bar.series) % PALETTE.length];
      const w = Math.max(1, x(bar.value) - left);
      out.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"><title>${esc(`${g.label} ${bar.series}: ${format(bar.value)}`)}</title></rect>`,
        `<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 3}" fill="#222">${esc(bar.text ?? format(bar.value))}</text>`,
      );
      y += barH + gap;
    }
    y += groupGap - gap;
  });
  const bottom = y;
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`);
  // Reference labels alternate between two rows, so close lines (0.97, 1.0) stay legible.
  for (const [i, line] of lines.entries()) {
    const lx2 = x(line.at);
    const labelY = bottom + 14 + (i % 2) * 13;
    out.push(
      `<line x1="${lx2.toFixed(1)}" y1="${top}" x2="${lx2.toFixed(1)}" y2="${bottom}" stroke="${line.color ?? '#c00'}" stroke-dasharray="4 3"/>`,
      `<text x="${lx2.toFixed(1)}" y="${labelY}" text-anchor="middle" fill="${line.color ?? '#c00'}">${esc(line.label)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
