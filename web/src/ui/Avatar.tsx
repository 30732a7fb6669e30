/** Number of avatar colours (classes avatar-c0 … avatar-c7 in styles.css). */
const COLOURS = 8;

function initials(name: string): string {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

function colourOf(seed: number | string): number {
  const s = String(seed);
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h) % COLOURS;
}

export function Avatar({
  name,
  seed,
  size = 44,
  online,
  kind,
}: {
  name: string;
  seed: number | string;
  size?: number;
  online?: boolean;
  kind?: 'direct' | 'group' | 'channel';
}) {
  const sizeClass = size <= 30 ? 'avatar-sm' : size >= 48 ? 'avatar-lg' : 'avatar-md';
  return (
    <span className={`avatar ${sizeClass} avatar-c${colourOf(seed)}`} aria-hidden="true">
      {kind === 'channel' ? '#' : initials(name)}
      {online && <span className="presence-dot" data-testid="presence-dot" />}
    </span>
  );
}
