import type { ReactNode } from 'react';

// Candidates: explicit http(s) URLs and bare www. hosts. Everything else stays text. A bidi control ends a URL, so
// it can never sit inside a link's text (where it would reorder what is shown against what the href says).
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"'`\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/gi;

// Bidi embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): a message may not reorder the text
// around or after it ("\u202Egnp.exe" showing as "exe.png"). Marks (LRM, RLM, ALM) only steer neutral characters
// and stay: right-to-left writers use them.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** Text with its bidi embedding, override and isolate controls removed. */
export function neutraliseBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}
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
 * <a> elements for http(s) links only. No HTML string is ever built. Bidi embedding/override/isolate controls are
 * removed, and each link is its own left-to-right isolate (<bdi dir="ltr">): its text shows in the order of its href,
 * whatever right-to-left text surrounds it.
 */
export function linkify(raw: string): ReactNode[] {
  const text = neutraliseBidi(raw);
  const nodes: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    let url = match[0];
    const trail = TRAILING.exec(url);
    if (trail) url = url.slice(0, url.length - trail[0].length);
    const href = url ? safeHref(url) : null;
    if (!href) continue;
    if (start > last) nodes.push(text.slice(last, start));
    nodes.push(
      <bdi key={start} dir="ltr">
        <a href={href} target="_blank" rel="noopener noreferrer nofollow ugc">
          {url}
        </a>
      </bdi>,
    );
    last = start + url.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}
