import { useEffect, useState } from 'react';
import type { LimeClient } from '../sdk/client';

/**
 * Tells the person when messages may be stale: connecting, offline (with the reconnect countdown) or catching up.
 * Hidden while live. Short blips (< 0.6 s of connecting or catching up) are not shown, so it does not flicker.
 */
export function ConnectionBanner({ client }: { client: LimeClient }) {
  const { status, retryAt, networkDown, ready } = client.connection;
  const [now, setNow] = useState(() => Date.now());
  const [revealed, setRevealed] = useState<string | null>(null);
  const visible = status !== 'live' && status !== 'signed_out';

  useEffect(() => {
    if (!visible) return;
    const brief = ready && (status === 'connecting' || status === 'catching_up');
    const reveal = setTimeout(() => setRevealed(status), brief ? 600 : 0);
    const tick = setInterval(() => setNow(Date.now()), 250);
    return () => {
      clearTimeout(reveal);
      clearInterval(tick);
    };
  }, [visible, status, ready]);

  if (!visible || revealed !== status) return null;

  let text: string;
  let action = false;
  if (status === 'offline') {
    if (networkDown) {
      text = 'You are offline. Messages will be sent when the connection is back.';
    } else {
      const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : 0;
      text = seconds > 0 ? `Connection lost. Reconnecting in ${seconds} s…` : 'Connection lost. Reconnecting…';
      action = true;
    }
  } else if (status === 'catching_up') {
    text = 'Catching up…';
  } else {
    text = ready ? 'Reconnecting…' : 'Connecting…';
  }

  return (
    <div className={`banner banner-${status}`} role="status" data-testid="connection-banner" data-status={status}>
      <span className="banner-dot" />
      <span>{text}</span>
      {action && (
        <button className="link-button" onClick={() => client.reconnectNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
