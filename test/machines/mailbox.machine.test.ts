import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { mailboxMachine } from '../../machines/mailbox.machine.js';

describe('mailbox machine', () => {
  it('is has_mail while mail is unread and idle once the store says none is', () => {
    const notified: string[] = [];
    const actor = createActor(
      mailboxMachine.provide({ actions: { notify: (_, p: { id: string }) => void notified.push(p.id) } }),
    ).start();
    expect(actor.getSnapshot().value).toBe('idle');
    actor.send({ type: 'mail.arrived', id: 'm1' });
    actor.send({ type: 'mail.arrived', id: 'm1' });
    actor.send({ type: 'mail.arrived', id: 'm2' });
    expect(actor.getSnapshot().value).toBe('has_mail');
    expect(actor.getSnapshot().context.unread).toEqual(['m1', 'm2']);
    expect(notified).toEqual(['m1', 'm1', 'm2']);
    actor.send({ type: 'mail.synced', unread: ['m2'] });
    expect(actor.getSnapshot().value).toBe('has_mail');
    actor.send({ type: 'mail.synced', unread: [] });
    expect(actor.getSnapshot().value).toBe('idle');
    expect(actor.getSnapshot().context.unread).toEqual([]);
  });

  it('resumes from a persisted snapshot in the state it had', () => {
    const first = createActor(mailboxMachine).start();
    first.send({ type: 'mail.arrived', id: 'm9' });
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as ReturnType<
      typeof first.getPersistedSnapshot
    >;
    first.stop();
    const second = createActor(mailboxMachine, { snapshot: saved }).start();
    expect(second.getSnapshot().value).toBe('has_mail');
    expect(second.getSnapshot().context.unread).toEqual(['m9']);
  });
});
