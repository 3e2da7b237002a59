// A view's state kept by `followed` (read with GET, kept current by stream events).

import { useRef, useState } from 'preact/hooks';
import { followed } from './followed.js';

/** `[value, set, fromEvent, read]`. */
export function useFollowed(initial) {
  const [value, setValue] = useState(initial);
  const keeper = useRef(null);
  if (!keeper.current) keeper.current = followed(setValue);
  return [value, setValue, keeper.current.fromEvent, keeper.current.read];
}
