// A view's subscription to a learnlog stream while it is on screen: events go to
// `onEvent`, each opening to `onOpen(resumed)` (the latest ones given), and the
// connection's state is returned for the "live" indicator.

import { useEffect, useRef, useState } from 'preact/hooks';
import { follow } from './sse.js';

export function useStream(path, onEvent, onOpen = () => {}) {
  const [status, setStatus] = useState({ state: 'connecting' });
  const handlers = useRef({ onEvent, onOpen });
  handlers.current = { onEvent, onOpen };
  useEffect(() => {
    if (!path) return undefined;
    return follow(path, {
      onEvent: (event) => handlers.current.onEvent(event),
      onOpen: (resumed) => handlers.current.onOpen(resumed),
      onStatus: (state, error) => setStatus({ state, error }),
    });
  }, [path]);
  return status;
}

/** Words for a stream's state. */
export function LiveBadge({ status }) {
  const words = {
    live: 'Live: updates as answers arrive',
    connecting: 'Connecting for live updates…',
    retrying: 'Reconnecting…',
    failed: `Live updates off${status.error ? ` (${status.error.message})` : ''}`,
  }[status.state];
  return (
    <p class={`live live-${status.state}`} role="status" data-live={status.state}>
      <span class="dot" aria-hidden="true" /> {words}
    </p>
  );
}
