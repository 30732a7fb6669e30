import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { LimeApi } from './sdk/api';
import { LimeClient } from './sdk/client';
import { TokenStore } from './sdk/tokens';
import { AuthScreen } from './ui/AuthScreen';
import { Messenger } from './ui/Messenger';

const api = new LimeApi(new TokenStore());

/** Signed out: the sign-in screen. Signed in: one LimeClient (the SDK) for this session, and the messenger. */
export function App() {
  const session = useSyncExternalStore(
    (l) => api.tokens.subscribe(l),
    () => api.tokens.get(),
  );
  const userId = session?.user.id ?? null;
  const [notice, setNotice] = useState<string | null>(null);
  const signingOut = useRef(false);

  // Tokens that vanish without "Sign out" mean the device session ended (logged out elsewhere, refresh refused).
  useEffect(() => {
    let had = api.tokens.get() !== null;
    return api.tokens.subscribe((s) => {
      if (had && !s && !signingOut.current) setNotice('Your session has ended. Please sign in again.');
      had = s !== null;
      signingOut.current = false;
    });
  }, []);

  if (userId === null) {
    return <AuthScreen api={api} notice={notice} onSignedIn={() => setNotice(null)} />;
  }
  return (
    <Session
      key={userId}
      onSignOut={() => {
        signingOut.current = true;
      }}
    />
  );
}

function Session({ onSignOut }: { onSignOut: () => void }) {
  const [client] = useState(() => new LimeClient(api));
  useEffect(() => {
    client.start();
    return () => client.stop();
  }, [client]);
  return <Messenger client={client} onSignOut={onSignOut} />;
}
