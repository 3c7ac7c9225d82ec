import { connect } from '@nats-io/transport-node';

/**
 * The raw baseline's responder, a separate process like the daemon: replies to every request on
 * `subject` with `reply` (JSON text given on the command line), with no decoding or validation.
 * Usage: node raw-responder.js <url> <user> <pass> <subject> <reply>. Prints "ready" once subscribed.
 */
const [url, user, pass, subject, reply] = process.argv.slice(2);
if (
  url === undefined ||
  user === undefined ||
  pass === undefined ||
  subject === undefined ||
  reply === undefined
) {
  console.error('usage: raw-responder <url> <user> <pass> <subject> <reply>');
  process.exit(2);
}
const nc = await connect({ servers: url, user, pass });
const bytes = new TextEncoder().encode(reply);
nc.subscribe(subject, {
  callback: (_err, msg) => {
    msg.respond(bytes);
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void nc.drain().then(() => process.exit(0));
});
