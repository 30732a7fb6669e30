import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { LimeClient } from '../sdk/client';
import { describeError } from '../sdk/errors';
import type { SearchHitDto } from '../sdk/types';
import { formatListTime } from './format';
import { CloseIcon, SearchIcon } from './icons';
import { neutraliseBidi } from './linkify';

interface Results {
  q: string;
  hits: SearchHitDto[];
  next?: string;
  error?: string;
  loading: boolean;
}

/**
 * Message search over my rooms (docs/protocol.md §14): results newest first with the room, the sender, the time and
 * the snippet with its matches marked; a result opens its room at the message (history around it).
 */
export function SearchPanel({ client, onOpen, onClose }: { client: LimeClient; onOpen: (room: number, seq: number) => void; onClose: () => void }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const asked = useRef(0);

  useEffect(() => {
    const query = q.trim();
    const n = ++asked.current;
    const t = setTimeout(() => {
      if (!query) {
        setResults(null);
        return;
      }
      setResults((r) => ({ q: query, hits: r?.q === query ? r.hits : [], loading: true }));
      client.search(query).then(
        (page) => n === asked.current && setResults({ q: query, hits: page.hits, next: page.next_cursor ?? undefined, loading: false }),
        (e: unknown) => n === asked.current && setResults({ q: query, hits: [], loading: false, error: describeError(e) }),
      );
    }, 300);
    return () => clearTimeout(t);
  }, [client, q]);

  function more() {
    if (!results?.next) return;
    const { q: query, next, hits } = results;
    const n = asked.current;
    setResults({ ...results, loading: true });
    client.search(query, next).then(
      (page) => n === asked.current && setResults({ q: query, hits: [...hits, ...page.hits], next: page.next_cursor ?? undefined, loading: false }),
      (e: unknown) => n === asked.current && setResults({ ...results, loading: false, error: describeError(e) }),
    );
  }

  return (
    <div className="search-panel" data-testid="search-panel">
      <div className="search">
        <SearchIcon />
        <input
          placeholder="Search messages"
          aria-label="Search messages"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') onClose();
          }}
          autoFocus
          data-testid="search-input"
        />
        <button className="icon-button" aria-label="Close search" onClick={onClose}>
          <CloseIcon />
        </button>
      </div>
      <div className="search-results" role="region" aria-label="Search results" aria-busy={results?.loading ?? false}>
        {results?.error && (
          <p className="form-error" role="alert">
            {results.error}
          </p>
        )}
        {results && !results.loading && !results.error && results.hits.length === 0 && <p className="muted small-text">No messages found for “{results.q}”.</p>}
        <ul className="hit-list">
          {results?.hits.map((hit) => {
            const room = client.room(hit.room);
            return (
              <li key={hit.id}>
                <button className="search-hit" data-testid="search-hit" data-room-id={hit.room} data-seq={hit.seq} onClick={() => onOpen(hit.jump.room, hit.jump.around)}>
                  <span className="hit-line">
                    <strong className="hit-room">{room ? client.roomTitle(room.room) : 'Chat'}</strong>
                    <time className="hit-time" dateTime={new Date(hit.ts).toISOString()}>
                      {formatListTime(hit.ts)}
                    </time>
                  </span>
                  <span className="hit-snippet" data-testid="search-snippet">
                    <span className="muted">{hit.sender === client.me?.id ? 'You' : client.displayName(hit.sender)}: </span>
                    {highlight(hit.snippet, hit.highlights)}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
        {results?.next && (
          <button className="ghost small" onClick={more} disabled={results.loading}>
            More results
          </button>
        )}
      </div>
    </div>
  );
}

/** The snippet with its [start, length] ranges (UTF-16 code units) in <mark>; plain text, never markup. */
export function highlight(snippet: string, ranges: readonly number[][]): ReactNode[] {
  const out: ReactNode[] = [];
  let at = 0;
  const sorted = [...ranges].filter((r) => r.length === 2 && r[1] > 0).sort((a, b) => a[0] - b[0]);
  for (const [start, length] of sorted) {
    if (start < at || start >= snippet.length) continue;
    if (start > at) out.push(neutraliseBidi(snippet.slice(at, start)));
    out.push(
      <mark key={start} data-testid="search-mark">
        {neutraliseBidi(snippet.slice(start, start + length))}
      </mark>,
    );
    at = start + length;
  }
  if (at < snippet.length) out.push(neutraliseBidi(snippet.slice(at)));
  return out;
}
