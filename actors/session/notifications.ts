import type { MessageBody } from '../../bus/messages.js';

/** `🚚 Convoy landed: <title> (<n> beads)`. */
export function convoyLandedLine(body: MessageBody<'convoy.landed'>): string {
  const n = body.beads.length;
  return `🚚 Convoy landed: ${body.title} (${n} bead${n === 1 ? '' : 's'})`;
}

/** `Merged <bead> (<mr>)`. */
export function mrMergedLine(body: MessageBody<'mr.merged'>): string {
  return `Merged ${body.bead} (${body.mr})`;
}

/** `Rejected <bead> (<mr>): gate <gate> failed`. */
export function mrRejectedLine(body: MessageBody<'mr.rejected'>): string {
  return `Rejected ${body.bead} (${body.mr}): gate ${body.gate} failed`;
}

/** `🪝 Work on your hook: <bead> (gt hook shows it, gt prime gives the checklist)`. */
export function slungLine(body: MessageBody<'bead.slung'>): string {
  return `🪝 Work on your hook: ${body.bead} (gt hook shows it, gt prime gives the checklist)`;
}

/** `📬 mail from <sender>: <subject>`. */
export function mailLine(body: MessageBody<'mail.delivered'>): string {
  return `📬 mail from ${body.from}: ${body.subject}`;
}
