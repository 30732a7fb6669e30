import { useEffect, useState } from 'react';

/** The open room from the address (`/rooms/12`), or null for the room list. */
export function parseRoute(path: string): number | null {
  const m = /^\/rooms\/(\d+)\/?$/.exec(path);
  return m ? Number(m[1]) : null;
}

export function navigate(roomId: number | null, replace = false): void {
  const path = roomId === null ? '/' : `/rooms/${roomId}`;
  if (window.location.pathname === path) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): number | null {
  const [room, setRoom] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const on = () => setRoom(parseRoute(window.location.pathname));
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return room;
}

let jumps = 0;

/** A number for a request to show a message (a search result, a pinned message): the latest request wins. */
export function nextJumpId(): number {
  return ++jumps;
}
