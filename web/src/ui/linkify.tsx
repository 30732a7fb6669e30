import type { ReactNode } from 'react';

// Candidates: explicit http(s) URLs and bare www. hosts. Everything else stays text.
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** The href for a candidate, or null when it is not a plain http(s) URL (no javascript:, data:, …). */
export function safeHref(candidate: string): string | null {
  const withScheme = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

/**
 * Message text as React nodes: text nodes (React escapes them, so markup in a message is shown, never parsed) and
 * <a> elements for http(s) links only. No HTML string is ever built.
 */
export function linkify(text: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    let raw = match[0];
    const trail = TRAILING.exec(raw);
    if (trail) raw = raw.slice(0, raw.length - trail[0].length);
    const href = raw ? safeHref(raw) : null;
    if (!href) continue;
    if (start > last) nodes.push(text.slice(last, start));
    nodes.push(
      <a key={start} href={href} target="_blank" rel="noopener noreferrer nofollow ugc">
        {raw}
      </a>,
    );
    last = start + raw.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}
