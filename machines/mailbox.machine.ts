import { assign, setup } from 'xstate';

/** What a role's mailbox knows: the ids of its unread mail beads, oldest first. */
export interface MailboxContext {
  unread: string[];
}

/** Events of the mailbox machine. */
export type MailboxEvent =
  /** A `mail.delivered` for this address arrived on the bus. */
  | { type: 'mail.arrived'; id: string }
  /** The store's view of the unread mail (on start, and after any change to this address's mail). */
  | { type: 'mail.synced'; unread: readonly string[] };

/**
 * The mail side of a role actor (mayor, deacon; later witness, crew and polecats): it tracks unread
 * mail and is `has_mail` while any is waiting, which is what notifications and nudges key on. The mail
 * itself lives in the store; this machine only holds ids, so a restored snapshot plus a sync with
 * the store is exact after any crash. `notify` is the named effect the hosting actor provides
 * (a nudge to the role's session once sessions exist).
 */
export const mailboxMachine = setup({
  types: {
    context: {} as MailboxContext,
    events: {} as MailboxEvent,
  },
  actions: {
    notify: (_, _params: { id: string }) => undefined,
  },
}).createMachine({
  id: 'mailbox',
  context: { unread: [] },
  initial: 'idle',
  on: {
    'mail.arrived': {
      actions: [
        assign({
          unread: ({ context, event }) =>
            context.unread.includes(event.id) ? context.unread : [...context.unread, event.id],
        }),
        { type: 'notify', params: ({ event }) => ({ id: event.id }) },
      ],
      target: '.has_mail',
    },
    'mail.synced': [
      {
        guard: ({ event }) => event.unread.length > 0,
        actions: assign({ unread: ({ event }) => [...event.unread] }),
        target: '.has_mail',
      },
      { actions: assign({ unread: () => [] }), target: '.idle' },
    ],
  },
  states: {
    idle: {},
    has_mail: {
      always: { guard: ({ context }) => context.unread.length === 0, target: 'idle' },
    },
  },
});
