// Unit test of the console's live-feed client (web/console/feed.js) in node,
// with a fake WebSocket and fake timers: resume with `since`, no frame applied
// twice, polling while the socket is down, and nothing left running after stop.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = new URL(url);
    this.closed = false;
    FakeSocket.all.push(this);
  }
  open() { this.onopen?.(); }
  frame(obj) { this.onmessage?.({ data: JSON.stringify(obj) }); }
  drop() { this.onclose?.({ code: 1013 }); }
  close() { this.closed = true; }
}

globalThis.location = { protocol: 'http:', host: '127.0.0.1:8080' };
globalThis.WebSocket = FakeSocket;
// Loaded as a module from its source: web/console/ has no package.json to say
// so, and feed.js imports nothing.
const source = fs.readFileSync(new URL('../../web/console/feed.js', import.meta.url), 'utf8');
const { Feed } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

function harness(options, token = () => 'tok') {
  const seen = { frames: [], states: [], polls: 0 };
  const feed = new Feed(token, {
    onFrame: (f) => seen.frames.push(f),
    onState: (s) => seen.states.push(s),
    poll: async () => { seen.polls += 1; },
  }, options);
  return { feed, seen };
}

test('reconnects with since = the last applied seq and applies each frame once', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  const { feed, seen } = harness();
  feed.start();
  const first = FakeSocket.all[0];
  assert.equal(first.url.pathname, '/v1/console/feed');
  assert.equal(first.url.searchParams.get('access_token'), 'tok');
  assert.equal(first.url.searchParams.has('since'), false);
  first.open();
  assert.equal(seen.states.at(-1), 'live');
  first.frame({ seq: 5, type: 'snapshot', queue: [] });
  first.frame({ seq: 6, type: 'update', notices: [] });
  first.frame({ seq: 6, type: 'update', notices: [] });
  first.frame({ seq: 4, type: 'update' });
  first.frame('not json at all');
  assert.deepEqual(seen.frames.map((f) => f.seq), [5, 6]);

  first.drop();
  assert.equal(seen.states.at(-1), 'polling');
  assert.equal(seen.polls, 1, 'polls at once when the socket drops');
  mock.timers.tick(500);
  const second = FakeSocket.all[1];
  assert.equal(second.url.searchParams.get('since'), '6');
  second.open();
  assert.equal(seen.states.at(-1), 'live');
  second.frame({ seq: 6, type: 'update' });
  second.frame({ seq: 7, type: 'update' });
  assert.deepEqual(seen.frames.map((f) => f.seq), [5, 6, 7]);
  feed.stop();
  mock.timers.reset();
});

test('polls every 5 seconds while the feed cannot connect, and stops polling once live', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  const { feed, seen } = harness();
  feed.start();
  FakeSocket.all[0].drop();
  assert.equal(seen.polls, 1);
  // Backoff 0.5, 1, 2, 4 s: each attempt fails too.
  for (const wait of [500, 1000, 2000]) {
    mock.timers.tick(wait);
    FakeSocket.all.at(-1).drop();
  }
  mock.timers.tick(5000 - 3500);
  assert.equal(seen.polls, 2, 'a second poll 5 s after the first');
  assert.equal(FakeSocket.all.length, 4);
  mock.timers.tick(4000 - 1500);
  const socket = FakeSocket.all.at(-1);
  assert.equal(FakeSocket.all.length, 5);
  socket.open();
  mock.timers.tick(60000);
  assert.equal(seen.polls, 2, 'no polling while live');
  feed.stop();
  mock.timers.reset();
});

test('the supervisor page polls every 15 seconds only while the feed is down', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  const { feed, seen } = harness({ pollMs: 15000 });
  feed.start();
  FakeSocket.all[0].open();
  mock.timers.tick(60000);
  assert.equal(seen.polls, 0, 'no polling while live');
  FakeSocket.all[0].drop();
  assert.equal(seen.polls, 1, 'polls at once when the feed drops');
  // Every reconnection attempt fails for a while (backoff 0.5 s doubling to 10 s).
  let elapsed = 0;
  for (const wait of [500, 1000, 2000, 4000, 8000, 10000]) {
    mock.timers.tick(wait);
    elapsed += wait;
    FakeSocket.all.at(-1).drop();
    assert.equal(seen.polls, 1 + Math.floor(elapsed / 15000), `polls after ${elapsed} ms`);
  }
  assert.equal(seen.polls, 2, 'one more poll at 15 s, none at 5 s or 10 s');
  mock.timers.tick(10000);
  FakeSocket.all.at(-1).open();
  assert.equal(seen.polls, 3);
  mock.timers.tick(120000);
  assert.equal(seen.polls, 3, 'polling stops once the feed is back');
  feed.stop();
  mock.timers.reset();
});

test('reconnect() moves to a new token at once, resuming from the last seq', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  let token = 'old';
  const { feed, seen } = harness({}, () => token);
  feed.start();
  const first = FakeSocket.all[0];
  first.open();
  first.frame({ seq: 9, type: 'snapshot' });
  token = 'new';
  feed.reconnect();
  assert.equal(first.closed, true, 'the old session\'s socket is closed');
  const second = FakeSocket.all[1];
  assert.equal(second.url.searchParams.get('access_token'), 'new');
  assert.equal(second.url.searchParams.get('since'), '9');
  // The old socket's late events change nothing: no polling, no second socket.
  first.drop();
  first.frame({ seq: 10, type: 'update' });
  second.open();
  mock.timers.tick(60000);
  assert.equal(seen.polls, 0);
  assert.equal(FakeSocket.all.length, 2);
  assert.deepEqual(seen.frames.map((f) => f.seq), [9]);
  feed.stop();
  mock.timers.reset();
});

test('a snapshot after reconnect replaces state even with a lower seq (server restarted)', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  const { feed, seen } = harness();
  feed.start();
  FakeSocket.all[0].open();
  FakeSocket.all[0].frame({ seq: 50, type: 'snapshot' });
  FakeSocket.all[0].drop();
  mock.timers.tick(500);
  FakeSocket.all[1].open();
  FakeSocket.all[1].frame({ seq: 3, type: 'snapshot' });
  FakeSocket.all[1].frame({ seq: 4, type: 'update' });
  assert.deepEqual(seen.frames.map((f) => f.seq), [50, 3, 4]);
  feed.stop();
  mock.timers.reset();
});

test('stop closes the socket, stops polling and never reconnects', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  const { feed, seen } = harness();
  feed.start();
  FakeSocket.all[0].drop();
  feed.stop();
  assert.equal(seen.states.at(-1), 'stopped');
  const polls = seen.polls;
  mock.timers.tick(120000);
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(seen.polls, polls);
  mock.timers.reset();
});
