// Keeping a view's state read with GET current with a stream's events, without losing
// either: an event that arrives while a read is on its way is applied again on top of
// what the read answers (events carry whole views, newer than the read's start), and a
// read answered after a later one is dropped. Plain JavaScript, so that the browser
// test runs it in Node too; `use-followed.js` is the Preact hook.

const apply = (value, update) => (typeof update === 'function' ? update(value) : update);

/**
 * `set(update)` stores a value or applies a function to the current one. Returns
 * `fromEvent(update)`, for a value or a function of the current one, and
 * `read(promise)`, for the promise of a GET's value.
 */
export function followed(set) {
  let since = []; // updates from events while reads are on their way
  let inFlight = 0;
  let started = 0;
  let shown = 0;
  const fromEvent = (update) => {
    if (inFlight > 0) since.push(update);
    set((now) => apply(now, update));
  };
  const read = (promise) => {
    const order = ++started;
    const from = since.length;
    inFlight += 1;
    return promise
      .then((answer) => {
        if (order < shown) return;
        shown = order;
        const replayed = since.slice(from).reduce(apply, answer);
        set(() => replayed);
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight === 0) since = [];
      });
  };
  return { fromEvent, read };
}
