import BetterSqlite3 from 'better-sqlite3';
import { connect } from '@nats-io/transport-node';
import { startCheckpointer } from '../beads/checkpointer.js';
import { applyPragmas, migrate } from '../beads/schema.js';

/**
 * The raw baselines' responder, a separate process like the daemon: replies to every request on
 * `subject` with `reply` (JSON text given on the command line), with no decoding or validation.
 * Given a database path, it first writes, in one transaction, the rows a `bead.create` adds to the
 * store (issue, event, dirty mark, handled message) with plain prepared statements into a file with
 * the store's schema, pragmas and background checkpointer: the durable write alone, without the store.
 * Usage: node raw-responder.js <url> <user> <pass> <subject> <reply> [db]. Prints "ready" once subscribed.
 */
const [url, user, pass, subject, reply, dbPath] = process.argv.slice(2);
if (
  url === undefined ||
  user === undefined ||
  pass === undefined ||
  subject === undefined ||
  reply === undefined
) {
  console.error('usage: raw-responder <url> <user> <pass> <subject> <reply> [db]');
  process.exit(2);
}
const bytes = new TextEncoder().encode(reply);
const write = dbPath === undefined ? null : durableWrite(dbPath, reply);
const nc = await connect({ servers: url, user, pass });
nc.subscribe(subject, {
  callback: (_err, msg) => {
    write?.();
    msg.respond(bytes);
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void nc.drain().then(() => process.exit(0));
});

/** One transaction per call; ids scattered over the key space like hash ids, message ids ascending. */
function durableWrite(path: string, replyText: string): () => void {
  const db = new BetterSqlite3(path);
  applyPragmas(db, 30_000, false);
  migrate(db);
  startCheckpointer(path);
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const issue = db.prepare(
    `INSERT INTO issues (id, title, status, priority, issue_type, created_at, created_by, updated_at)
     VALUES (?, ?, 'open', 2, 'task', ?, 'bench/overseer', ?)`,
  );
  const event = db.prepare(
    `INSERT INTO events (issue_id, id, event_type, actor, created_at) VALUES (?, 1, 'created', 'bench/overseer', ?)`,
  );
  const dirty = db.prepare('INSERT INTO dirty_log (issue_id) VALUES (?)');
  const handled = db.prepare('INSERT INTO handled_messages (id, reply, handled_at) VALUES (?, ?, ?)');
  let n = 0;
  return () => {
    n++;
    const id = `bench-${((Math.imul(n, 2654435761) >>> 0) % 36 ** 6).toString(36).padStart(6, '0')}.${n}`;
    const at = `${new Date().toISOString().slice(0, 19)}Z`;
    begin.run();
    issue.run(id, `bench bead ${n}`, at, at);
    event.run(id, at);
    dirty.run(id);
    handled.run(n.toString(16).padStart(32, '0'), replyText, at);
    commit.run();
  };
}
