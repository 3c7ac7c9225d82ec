import { createConvoy, convoysTracking, trackedBeads } from '../../beads/convoy.js';
import type { BeadStore } from '../../beads/store.types.js';
import type { Bead } from '../../beads/types.js';
import type { BusConnection } from '../../bus/connection.js';
import { createEnvelope } from '../../bus/envelope.js';
import { evt } from '../../bus/subjects.js';
import type { Logger } from '../logger.js';
import { PolecatError } from '../polecat/polecat-errors.js';
import type { PolecatActor } from '../polecat/polecat-actor.js';
import type { RigConfig } from '../rig/rig-config.js';
import { nextPolecatName } from './name-pool.js';

/** `metadata.sling` of a slung bead. */
export interface SlingFields {
  target: string;
  agent: string | null;
  convoy: string | null;
  at: string;
}

/** The rigs as the dispatcher sees them. */
export interface DispatchRig {
  config: RigConfig;
  polecats: Map<string, PolecatActor>;
}

/** What `gt sling` answers. */
export interface SlingReply {
  convoy: string | null;
  beads: Array<{ bead: string; title: string; agent: string | null }>;
}

/** Options of the dispatcher. */
export interface DispatcherOptions {
  town: string;
  store: BeadStore;
  bus: BusConnection;
  log: Logger;
  rigs: () => ReadonlyMap<string, DispatchRig>;
  /** Creates (and hosts) a new polecat identity in a rig. */
  createPolecat: (rig: string, name: string) => PolecatActor;
  /** True when the rig has a crew member of that name (its workspace exists). */
  hasCrew: (rig: string, name: string) => boolean;
}

/** Label of slung beads: the dispatcher asks `ready` for these only. */
export const SLUNG_LABEL = 'gt:slung';

const WORK_EXCLUDED = new Set([
  'message',
  'convoy',
  'merge-request',
  'molecule',
  'agent',
  'role',
  'rig',
  'gate',
]);

/** The sling fields of a bead, or null. */
export function slingOf(bead: Bead): SlingFields | null {
  const s = (bead.metadata as { sling?: unknown } | undefined)?.sling;
  return s !== null && typeof s === 'object' && typeof (s as SlingFields).target === 'string'
    ? (s as SlingFields)
    : null;
}

/**
 * The deacon's dispatch: `gt sling` checks every bead and the target before it changes anything (a
 * bead that is unknown, closed, already hooked, or another rig's; a rig that does not exist), tracks
 * the beads in a convoy (one of its own unless `--no-convoy`), marks them slung, and hooks each ready
 * one to a free polecat of the rig (a new identity from the name pool while the rig has room). Beads
 * that are blocked, or beyond the rig's capacity, wait slung; `dispatch()` runs again whenever a
 * polecat frees up or a merge closes a bead.
 */
export class Dispatcher {
  private scheduled = false;
  constructor(private readonly options: DispatcherOptions) {}

  sling(body: {
    actor: string;
    beads: string[];
    target: string;
    agent?: string;
    no_convoy?: boolean;
  }): SlingReply {
    const { store } = this.options;
    const target = this.parseTarget(body.target);
    const rigs = this.options.rigs();
    const beads: Bead[] = [];
    let convoy: string | null = null;
    for (const id of body.beads) {
      const bead = store.get(id) ?? resolved(store, id);
      if (bead === null)
        throw new PolecatError('sling.unknown_bead', `no bead ${id}: check the id with bd list`, {
          details: { id },
        });
      if (bead.issue_type === 'convoy') {
        convoy = bead.id;
        for (const t of trackedBeads(store, bead.id)) {
          const tracked = store.get(t);
          if (tracked !== null && tracked.status !== 'closed') beads.push(tracked);
        }
        continue;
      }
      beads.push(bead);
    }
    if (beads.length === 0)
      throw new PolecatError(
        'sling.nothing',
        `nothing to sling: every bead of ${convoy ?? body.beads.join(', ')} is closed`,
      );
    for (const b of beads) this.check(b, target, rigs);
    if (convoy === null && body.no_convoy !== true) {
      const tracking = beads.map((b) => convoysTracking(store, b.id));
      const shared = tracking[0]?.find((c) => tracking.every((t) => t.includes(c)));
      convoy =
        shared ??
        createConvoy(store, {
          title:
            beads.length === 1
              ? `Work: ${beads[0]?.title ?? ''}`
              : `Batch: ${beads.length} beads to ${body.target}`,
          beads: beads.map((b) => b.id),
          actor: body.actor,
        }).id;
    }
    const at = new Date().toISOString();
    store.transaction(() => {
      for (const b of beads) {
        const sling: SlingFields = { target: body.target, agent: body.agent ?? null, convoy, at };
        store.update(
          b.id,
          { metadata: { ...(b.metadata ?? {}), sling }, add_labels: [SLUNG_LABEL] },
          body.actor,
        );
        if (target.kind === 'agent')
          store.update(b.id, { status: 'hooked', assignee: target.address }, body.actor);
      }
    });
    for (const b of beads)
      this.publish('bead', 'slung', 'bead.slung', {
        bead: b.id,
        target: body.target,
        agent: target.kind === 'agent' ? target.address : null,
        convoy,
      });
    this.dispatch();
    return {
      convoy,
      beads: beads.map((b) => {
        const now = store.get(b.id);
        return {
          bead: b.id,
          title: b.title,
          agent: now?.status === 'hooked' || now?.status === 'in_progress' ? (now.assignee ?? null) : null,
        };
      }),
    };
  }

  /** Dispatches on the next tick (coalesced): safe to call from inside actors' transitions. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.dispatch();
      } catch (err) {
        this.options.log.error({ err }, 'dispatch failed');
      }
    });
  }

  /** Hooks ready slung beads to free polecats, rig by rig, in ready order (priority, then age). */
  dispatch(): void {
    const { store } = this.options;
    const ready = store
      .ready({ labels: [SLUNG_LABEL], unassigned: true, limit: 100_000 })
      .filter((b) => slingOf(b) !== null && !WORK_EXCLUDED.has(b.issue_type));
    for (const [name, rig] of this.options.rigs()) {
      for (const bead of ready) {
        const sling = slingOf(bead);
        if (sling === null) continue;
        const [rigName, ...rest] = sling.target.split('/');
        if (rigName !== name) continue;
        const wanted = rest.length === 0 ? null : (rest[rest.length - 1] ?? null);
        if (rest[0] === 'crew') continue;
        const current = store.get(bead.id);
        if (current === null || current.status !== 'open' || (current.assignee ?? '') !== '') continue;
        const polecat = this.freePolecat(rig, wanted);
        if (polecat === null) continue;
        const hooked = polecat.assign({ bead: bead.id, kind: 'work', agent: sling.agent }, () => {
          store.update(
            bead.id,
            { status: 'hooked', assignee: polecat.address },
            `${this.options.town}/deacon`,
          );
        });
        if (hooked) this.options.log.info({ bead: bead.id, polecat: polecat.address }, 'hooked');
      }
    }
  }

  private freePolecat(rig: DispatchRig, wanted: string | null): PolecatActor | null {
    if (wanted !== null) {
      const named =
        rig.polecats.get(wanted) ??
        (rig.polecats.size < 100 ? this.options.createPolecat(rig.config.name, wanted) : null);
      return named !== null && named.state() === 'idle' ? named : null;
    }
    for (const p of [...rig.polecats.values()].sort((a, b) => (a.name < b.name ? -1 : 1)))
      if (p.state() === 'idle') return p;
    if (rig.polecats.size >= rig.config.max_polecats) return null;
    return this.options.createPolecat(
      rig.config.name,
      nextPolecatName(rig.config.name, new Set(rig.polecats.keys())),
    );
  }

  private parseTarget(text: string): { kind: 'rig'; rig: string } | { kind: 'agent'; address: string } {
    const { town } = this.options;
    const parts = text.replace(new RegExp(`^${town}/`), '').split('/');
    if (parts.length === 1 && parts[0] === 'mayor') return { kind: 'agent', address: `${town}/mayor` };
    const rig = parts[0] ?? '';
    if (!this.options.rigs().has(rig))
      throw new PolecatError(
        'sling.unknown_rig',
        `no rig ${rig}: the rigs are ${[...this.options.rigs().keys()].join(', ') || 'none (add one with gt rig add)'}`,
        { details: { rig } },
      );
    const name = parts[parts.length - 1] ?? '';
    if (parts.length > 1 && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name))
      throw new PolecatError(
        'sling.bad_target',
        `"${name}" is not a polecat or crew name: lowercase letters, digits and dashes`,
      );
    if (parts.length === 1) return { kind: 'rig', rig };
    if (parts.length === 2 && parts[1] !== 'crew' && parts[1] !== 'polecats') return { kind: 'rig', rig };
    if (parts.length === 3 && parts[1] === 'polecats') return { kind: 'rig', rig };
    if (parts.length === 3 && parts[1] === 'crew') {
      if (!this.options.hasCrew(rig, name))
        throw new PolecatError(
          'sling.unknown_crew',
          `rig ${rig} has no crew member ${name}: add one with gt crew add ${name} --rig ${rig}`,
        );
      return { kind: 'agent', address: `${town}/${rig}/crew/${name}` };
    }
    throw new PolecatError(
      'sling.bad_target',
      `"${text}" is not a target: use <rig>, <rig>/<polecat>, <rig>/crew/<name> or mayor`,
    );
  }

  private check(
    bead: Bead,
    target: ReturnType<Dispatcher['parseTarget']>,
    rigs: ReadonlyMap<string, DispatchRig>,
  ): void {
    if (bead.status === 'closed')
      throw new PolecatError(
        'sling.closed',
        `${bead.id} is closed: reopen it (bd reopen ${bead.id}) to work on it again`,
        {
          details: { id: bead.id },
        },
      );
    if (WORK_EXCLUDED.has(bead.issue_type))
      throw new PolecatError('sling.not_work', `${bead.id} is a ${bead.issue_type}, not work to sling`);
    if (
      (bead.status === 'hooked' || bead.status === 'in_progress') &&
      bead.assignee !== undefined &&
      bead.assignee !== ''
    )
      throw new PolecatError(
        'sling.already_hooked',
        `${bead.id} is already on the hook of ${bead.assignee}`,
        {
          details: { id: bead.id, assignee: bead.assignee },
        },
      );
    if (target.kind === 'rig') {
      const prefix = bead.id.slice(0, bead.id.indexOf('-'));
      for (const [name, r] of rigs)
        if (name !== target.rig && r.config.prefix === prefix)
          throw new PolecatError(
            'sling.wrong_rig',
            `${bead.id} belongs to rig ${name} (prefix ${prefix}-): sling it to ${name}`,
            { details: { id: bead.id, rig: name } },
          );
    }
  }

  private publish<T extends 'bead.slung'>(
    entity: string,
    event: string,
    type: T,
    body: Parameters<typeof createEnvelope<T>>[1]['body'],
  ): void {
    try {
      this.options.bus.publish(
        evt(this.options.town, entity, event),
        createEnvelope(type, { from: `${this.options.town}/deacon`, to: this.options.town, body }),
      );
    } catch (err) {
      this.options.log.warn({ err }, 'event not published');
    }
  }
}

function resolved(store: BeadStore, partial: string): Bead | null {
  try {
    return store.get(store.resolveId(partial));
  } catch {
    return null;
  }
}
