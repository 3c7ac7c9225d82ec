import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuardError, ValidationError } from '../../beads/errors.js';
import { inbox, mailThread, readMail, replyMail, sendMail } from '../../beads/mail.js';
import { SqliteBeadStore } from '../../beads/store.js';
import type { BeadStore } from '../../beads/store.types.js';

describe('mail', () => {
  let dir: string;
  let store: BeadStore;
  let clock: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
    clock = Date.parse('2026-03-01T10:00:00Z');
    store = SqliteBeadStore.create(path.join(dir, 'beads.db'), 'gt', {
      now: () => {
        clock += 1000;
        return new Date(clock);
      },
    });
  });

  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a durable message bead: subject, body, sender, recipient, unread', () => {
    const m = sendMail(store, {
      from: 'mayor',
      to: 'gastown/crew/max',
      subject: 'Deploy',
      body: 'Ship it.',
      priority: 0,
    });
    const stored = store.get(m.id);
    expect(stored).toMatchObject({
      issue_type: 'message',
      title: 'Deploy',
      description: 'Ship it.',
      sender: 'mayor',
      assignee: 'gastown/crew/max',
      status: 'open',
      priority: 0,
    });
    expect(stored?.ephemeral).not.toBe(true);
    expect(store.snapshot().beads.map((b) => b.id)).toContain(m.id);
  });

  it('refuses empty or whitespace addresses and changes nothing', () => {
    expect(() => sendMail(store, { from: 'mayor', to: '', subject: 's', body: 'b' })).toThrow(
      ValidationError,
    );
    expect(() => sendMail(store, { from: 'may or', to: 'max', subject: 's', body: 'b' })).toThrow(
      /whitespace/,
    );
    expect(() => sendMail(store, { from: 'mayor', to: 'max\t', subject: 's', body: 'b' })).toThrow(
      ValidationError,
    );
    expect(store.count({ status: 'all', include_ephemeral: true })).toBe(0);
  });

  it('lists the unread inbox newest first, and read mail only when asked', () => {
    const a = sendMail(store, { from: 'mayor', to: 'max', subject: 'first', body: '1' });
    const b = sendMail(store, { from: 'joe', to: 'max', subject: 'second', body: '2' });
    sendMail(store, { from: 'mayor', to: 'joe', subject: 'not for max', body: '3' });
    store.create({ title: 'a task for max', assignee: 'max' }, 'mayor');
    expect(inbox(store, 'max').map((m) => m.id)).toEqual([b.id, a.id]);
    readMail(store, a.id, 'max');
    expect(inbox(store, 'max').map((m) => m.id)).toEqual([b.id]);
    expect(inbox(store, 'max', { includeRead: true }).map((m) => m.id)).toEqual([b.id, a.id]);
  });

  it('marks read by closing with reason "read", idempotently, only for the recipient', () => {
    const m = sendMail(store, { from: 'mayor', to: 'max', subject: 'hi', body: 'b' });
    expect(() => readMail(store, m.id, 'joe')).toThrow(GuardError);
    try {
      readMail(store, m.id, 'joe');
    } catch (error) {
      expect((error as GuardError).code).toBe('mail.not_recipient');
      expect((error as GuardError).message).toContain('only the recipient');
    }
    expect(store.get(m.id)?.status).toBe('open');
    const read = readMail(store, m.id, 'max');
    expect(read.status).toBe('closed');
    expect(read.close_reason).toBe('read');
    const again = readMail(store, m.id, 'max');
    expect(again.status).toBe('closed');
    expect(again.closed_at).toBe(read.closed_at);
  });

  it('refuses to read or reply to a bead that is not a message', () => {
    const task = store.create({ title: 'task', assignee: 'max' }, 'mayor');
    expect(() => readMail(store, task.id, 'max')).toThrow(/not a message/);
    expect(() => replyMail(store, task.id, { from: 'max', body: 'x' })).toThrow(ValidationError);
  });

  it('replies to the sender with Re:, a replies-to edge and the thread label, and walks the thread', () => {
    const root = sendMail(store, { from: 'mayor', to: 'max', subject: 'Plan', body: 'What next?' });
    const r1 = replyMail(store, root.id, { from: 'max', body: 'The store.' });
    expect(r1).toMatchObject({ title: 'Re: Plan', sender: 'max', assignee: 'mayor', issue_type: 'message' });
    expect(r1.labels).toEqual([`thread:${root.id}`]);
    const edge = store.dependencies(r1.id, 'down').find((d) => d.type === 'replies-to');
    expect(edge).toMatchObject({ depends_on_id: root.id, thread_id: root.id });

    const r2 = replyMail(store, r1.id, { from: 'mayor', body: 'Go.' });
    expect(r2.title).toBe('Re: Plan');
    expect(r2.assignee).toBe('max');
    expect(r2.labels).toEqual([`thread:${root.id}`]);
    expect(store.dependencies(r2.id, 'down').find((d) => d.type === 'replies-to')).toMatchObject({
      depends_on_id: r1.id,
      thread_id: root.id,
    });
    const r3 = replyMail(store, root.id, { from: 'joe', body: 'Me too.', subject: 'Also' });
    expect(r3.title).toBe('Also');
    sendMail(store, { from: 'mayor', to: 'max', subject: 'Unrelated', body: '' });

    const expected = [root.id, r1.id, r2.id, r3.id];
    expect(mailThread(store, root.id).map((m) => m.id)).toEqual(expected);
    expect(mailThread(store, r2.id).map((m) => m.id)).toEqual(expected);
    expect(mailThread(store, r3.id).map((m) => m.id)).toEqual(expected);
  });

  it('replies are not blocked and do not block reading the original', () => {
    const root = sendMail(store, { from: 'mayor', to: 'max', subject: 'Q', body: '?' });
    const reply = replyMail(store, root.id, { from: 'max', body: '!' });
    expect(readMail(store, root.id, 'max').status).toBe('closed');
    expect(readMail(store, reply.id, 'mayor').status).toBe('closed');
  });
});
