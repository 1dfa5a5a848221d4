// A DET plot (false non-match rate against false match rate, both on log axes) as a small SVG file.
import fs from 'node:fs';

const COLOURS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

export function writeDetSvg(
  file: string,
  curves: readonly { name: string; points: readonly [number, number][] }[],
): void {
  const W = 760;
  const H = 520;
  const L = 60;
  const T = 20;
  const PW = 460;
  const PH = 440;
  const x = (far: number): number => L + ((Math.log10(Math.max(far, 1e-5)) + 5) / 5) * PW;
  const y = (frr: number): number => T + (1 - (Math.log10(Math.max(frr, 1e-3)) + 3) / 3) * PH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  for (let e = -5; e <= 0; e++) {
    parts.push(`<line x1="${x(10 ** e)}" y1="${T}" x2="${x(10 ** e)}" y2="${T + PH}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(10 ** e)}" y="${T + PH + 14}" text-anchor="middle">1e${e}</text>`);
  }
  for (let e = -3; e <= 0; e++) {
    parts.push(`<line x1="${L}" y1="${y(10 ** e)}" x2="${L + PW}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 4}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  parts.push(
    `<text x="${L + PW / 2}" y="${H - 4}" text-anchor="middle">false match rate (different-person pairs, dev)</text>`,
  );
  parts.push(
    `<text x="14" y="${T + PH / 2}" transform="rotate(-90 14 ${T + PH / 2})" text-anchor="middle">false non-match rate</text>`,
  );
  curves.forEach((c, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = i >= COLOURS.length ? ' stroke-dasharray="4 3"' : '';
    const d = c.points
      .map(([far, frr], k) => `${k ? 'L' : 'M'}${x(far).toFixed(1)},${y(frr).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"${dash}/>`);
    parts.push(
      `<line x1="${L + PW + 12}" y1="${T + 10 + i * 15}" x2="${L + PW + 32}" y2="${T + 10 + i * 15}" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${L + PW + 36}" y="${T + 14 + i * 15}">${c.name}</text>`);
  });
  parts.push('</svg>');
  fs.writeFileSync(file, parts.join('\n'));
}
