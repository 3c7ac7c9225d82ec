import { createInterface } from 'node:readline';
import { connectBus } from '../bus/connection.js';
import { createEnvelope, encode, validateEnvelope } from '../bus/envelope.js';

/**
 * The fan-out's publisher in a process of its own, as the daemon is to the town's observers.
 * Usage: node fan-publisher.js <url> <user> <pass> <event envelope JSON>. Prints "ready", then for each
 * line `bus|raw <subject> <count>` on stdin publishes that many events and prints "done" once the
 * server has them: `bus` a new envelope with the event's body each time through
 * `BusConnection.publish` (validated, encoded), `raw` the event's encoded bytes through the bare client.
 */
const [url, user, pass, eventJson] = process.argv.slice(2);
if (url === undefined || user === undefined || pass === undefined || eventJson === undefined) {
  console.error('usage: fan-publisher <url> <user> <pass> <event envelope JSON>');
  process.exit(2);
}
let parsed: unknown;
try {
  parsed = JSON.parse(eventJson);
} catch {
  console.error('fan-publisher: the event envelope is not JSON');
  process.exit(2);
}
const checked = validateEnvelope(parsed);
if (!checked.ok || checked.envelope.type !== 'bead.created') {
  console.error(
    `fan-publisher: not a bead.created envelope: ${checked.ok ? checked.envelope.type : checked.error.message}`,
  );
  process.exit(2);
}
const event = checked.envelope;
const eventBytes = encode(event);
const bus = await connectBus({ servers: [url], user, pass, name: 'bench-fan-publisher' });
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [mode, subject, count] = line.split(' ');
  const n = Number(count);
  if ((mode !== 'bus' && mode !== 'raw') || subject === undefined || !Number.isInteger(n) || n < 0) {
    console.error(`fan-publisher: bad command "${line}"`);
    process.exit(2);
  }
  for (let i = 0; i < n; i++) {
    if (mode === 'bus')
      bus.publish(
        subject,
        createEnvelope('bead.created', { from: event.from, to: event.to, body: event.body }),
      );
    else bus.nats.publish(subject, eventBytes);
    if (i % 1000 === 999) await bus.flush();
  }
  await bus.flush();
  process.stdout.write('done\n');
}
await bus.close();
