// Server-Sent Events read with fetch(), because EventSource cannot send the
// Authorization header. The stream is parsed as the HTML standard says (fields `id`,
// `event`, `data`, `retry`; comments ignored; an event ends at a blank line), and a
// dropped connection is reopened with the `Last-Event-ID` of the last `id:` seen, so
// that learnlog resumes right after it: nothing missed, nothing repeated.

import { authorization, ApiError } from './api.js';

/** Splits text into complete lines; keeps the unfinished tail for the next chunk. */
export class LineSplitter {
  constructor() {
    this.tail = '';
  }

  push(chunk) {
    const text = this.tail + chunk;
    const lines = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\n' || c === '\r') {
        // a \r at the very end may be the first half of \r\n: wait for more
        if (c === '\r' && i === text.length - 1) break;
        lines.push(text.slice(start, i));
        if (c === '\r' && text[i + 1] === '\n') i++;
        start = i + 1;
      }
    }
    this.tail = text.slice(start);
    return lines;
  }
}

/** Builds events from lines: `onEvent({id, event, data})` at each blank line. */
export class EventParser {
  constructor(onEvent, onRetry) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.lastId = '';
    this.reset();
  }

  reset() {
    this.event = '';
    this.data = [];
    this.sawData = false;
  }

  line(line) {
    if (line === '') {
      if (this.sawData) {
        this.onEvent({ id: this.lastId, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.sawData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
        break;
    }
  }
}

/**
 * Follows the stream at `path` until `stop()` is called. `onEvent` gets each event
 * with its data parsed as JSON; `onStatus` gets 'connecting', 'live', 'retrying' or
 * 'failed' (with a message: a refused credential or request is not retried).
 * `onOpen(resumed)` is called each time the stream is open: `resumed` when it went on
 * from a `Last-Event-ID` (nothing was missed), not when it started from now (what
 * happened before is for the caller to read).
 */
export function follow(path, { onEvent, onStatus = () => {}, onOpen = () => {} }) {
  const controller = new AbortController();
  let retryMillis = 2000;
  let lastId = '';
  let stopped = false;

  const run = async () => {
    while (!stopped) {
      onStatus('connecting');
      try {
        const headers = { Accept: 'text/event-stream', Authorization: authorization() };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const response = await fetch(path, {
          headers,
          credentials: 'omit',
          cache: 'no-store',
          signal: controller.signal,
        });
        if (!response.ok) {
          let message = response.statusText;
          try {
            message = (await response.json()).message || message;
          } catch {
            // not JSON
          }
          throw new ApiError(response.status, message);
        }
        onStatus('live');
        onOpen(Boolean(lastId));
        const parser = new EventParser(
          (event) => {
            lastId = event.id;
            let data = event.data;
            try {
              data = JSON.parse(event.data);
            } catch {
              // left as text
            }
            onEvent({ id: event.id, event: event.event, data });
          },
          (millis) => {
            retryMillis = millis;
          },
        );
        parser.lastId = lastId;
        const splitter = new LineSplitter();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const line of splitter.push(value)) parser.line(line);
        }
      } catch (error) {
        if (stopped || error.name === 'AbortError') return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          onStatus('failed', error);
          return;
        }
      }
      if (stopped) return;
      onStatus('retrying');
      await new Promise((resolve) => setTimeout(resolve, retryMillis));
    }
  };
  run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
