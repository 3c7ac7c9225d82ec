import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonProcess, stopDaemon } from '../../actors/daemon/daemon-control.js';
import { connectToTown, requestTownStatus } from '../../actors/daemon/town-client.js';
import { installTown } from '../../actors/town/install.js';
import { readTownConfig } from '../../actors/town/town-config.js';
import { decode } from '../../bus/envelope.js';
import type { AnyEnvelope } from '../../bus/envelope.js';
import { DAEMON_ENTRY, runGt, townFixtures, waitFor } from '../harness/town.js';

const fx = townFixtures();
afterAll(() => fx.cleanup());

interface MailBead {
  id: string;
  title: string;
  status: string;
  sender: string;
  assignee: string;
}

describe('gt mail and gt nudge', () => {
  let root: string;
  beforeEach(async () => {
    root = path.join(fx.dir(), 'alpha');
    await installTown(root);
  });
  afterEach(async () => {
    await stopDaemon(root, 2_000);
    await fx.cleanup();
  });

  it('works with the town down: send, inbox, read, reply, thread, check, and refuses a reader who is not the recipient', async () => {
    const gt = (args: string[]) => runGt(args, { cwd: root });
    const sent = await gt(['mail', 'send', 'mayor', '-s', 'Status?', '-m', 'How is the convoy?', '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    const mail = sent.json<MailBead>();
    expect(mail).toMatchObject({ sender: 'alpha/overseer', assignee: 'alpha/mayor', status: 'open' });

    expect((await gt(['mail', '--as', 'mayor', 'check', '--quiet'])).code).toBe(0);
    const inbox = await gt(['mail', '--as', 'mayor', 'inbox', '--json']);
    expect(inbox.json<MailBead[]>().map((m) => m.id)).toEqual([mail.id]);

    const intruder = await gt(['mail', '--as', 'deacon', 'read', mail.id, '--json']);
    expect(intruder.code).toBe(1);
    expect(JSON.parse(intruder.stderr) as { code: string }).toMatchObject({ code: 'mail.not_recipient' });

    const read = await gt(['mail', '--as', 'alpha/mayor', 'read', mail.id, '--json']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.json<MailBead>().status).toBe('closed');
    expect((await gt(['mail', '--as', 'mayor', 'inbox', '--json'])).json<MailBead[]>()).toEqual([]);
    const check = await gt(['mail', '--as', 'mayor', 'check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('0 unread for alpha/mayor');

    const reply = await gt(['mail', '--as', 'mayor', 'reply', mail.id, '-m', 'Landing soon', '--json']);
    expect(reply.code, reply.stderr).toBe(0);
    expect(reply.json<MailBead>()).toMatchObject({ title: 'Re: Status?', assignee: 'alpha/overseer' });
    const thread = await gt(['mail', 'thread', mail.id, '--json']);
    expect(thread.json<MailBead[]>().map((m) => m.title)).toEqual(['Status?', 'Re: Status?']);

    const bad = await gt(['mail', 'send', 'mayor', '-s', 'x', '-m', 'y', '--priority', '9']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/priority/);
    const missing = await gt(['mail', 'send', 'mayor', '-m', 'no subject']);
    expect(missing.code).toBe(2);
  });

  it('goes through the daemon when the town is up: mail.delivered on the mail subject, nudges on theirs', async () => {
    const started = await startDaemonProcess(root, { entry: DAEMON_ENTRY });
    fx.track(started.pid);
    const bus = await connectToTown(readTownConfig(root), 'gt-test');
    fx.track((await requestTownStatus(bus, 'alpha')).nats_pid);
    const seen: Array<{ subject: string; envelope: AnyEnvelope }> = [];
    for (const pattern of ['gt.alpha.mail.>', 'gt.alpha.nudge.*'])
      bus.nats.subscribe(pattern, {
        callback: (_err, msg) => {
          const d = decode(msg.data);
          if (d.ok) seen.push({ subject: msg.subject, envelope: d.envelope });
        },
      });
    await bus.flush();
    try {
      const sent = await runGt(['mail', 'send', 'deacon', '-s', 'Patrol', '-m', 'go', '--json'], {
        cwd: root,
      });
      expect(sent.code, sent.stderr).toBe(0);
      const id = sent.json<MailBead>().id;
      const delivered = await waitFor('mail.delivered', () =>
        seen.find((m) => m.envelope.type === 'mail.delivered' && m.envelope.body.id === id),
      );
      expect(delivered.subject).toBe('gt.alpha.mail.deacon');
      const nudged = await runGt(['nudge', 'web/polecats/nux', 'wake', 'up'], { cwd: root });
      expect(nudged.code, nudged.stderr).toBe(0);
      const n = await waitFor('the nudge', () => seen.find((m) => m.envelope.type === 'nudge'));
      expect(n.subject).toBe('gt.alpha.nudge.web-polecats-nux');
      expect(n.envelope.body).toEqual({ text: 'wake up' });
      await waitFor('the deacon to have mail', async () => {
        const s = await requestTownStatus(bus, 'alpha');
        return s.actors.find((a) => a.address === 'alpha/deacon')?.state === 'has_mail';
      });
    } finally {
      await bus.close(500);
    }
  });
});
