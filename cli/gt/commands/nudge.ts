import type { Command } from 'commander';
import { connectToTown } from '../../../actors/daemon/town-client.js';
import { readTownConfig, requireTownRoot } from '../../../actors/town/town-config.js';
import { formatAddress, parseAddress } from '../../../bus/address.js';
import { createEnvelope } from '../../../bus/envelope.js';
import { nudge } from '../../../bus/subjects.js';
import { printJson, printLines } from '../../bd/output.js';
import type { GtGlobalOptions } from '../program.js';

/**
 * The nudge subject token of an address: its path joined with dashes (`web/polecats/nux` becomes
 * `web-polecats-nux`, `mayor` stays `mayor`), so every agent has its own `gt.<town>.nudge.<token>`.
 */
export function nudgeToken(path: readonly string[]): string {
  return path.join('-');
}

/** Registers `gt nudge <agent> <text>`: the non-durable path (nothing is stored; no listener, no nudge). */
export function registerNudgeCommands(program: Command): void {
  program
    .command('nudge')
    .description(
      'poke a running agent with a line of text (not stored: use gt mail for anything that must arrive)',
    )
    .argument('<agent>', 'address: mayor, web/polecats/nux, alpha/web/witness')
    .argument('<text...>', 'the text')
    .option('--as <address>', 'who is nudging (else $GT_ADDRESS, else <town>/overseer)')
    .action(async (agent: string, words: string[], _o: unknown, c: Command) => {
      const o = c.optsWithGlobals<GtGlobalOptions & { as?: string }>();
      const root = requireTownRoot(process.cwd(), o.town);
      const config = readTownConfig(root);
      const to = parseAddress(agent, config.name);
      const from = formatAddress(parseAddress(o.as ?? process.env['GT_ADDRESS'] ?? 'overseer', config.name));
      const subject = nudge(to.town, nudgeToken(to.path));
      const bus = await connectToTown(config, 'gt-nudge');
      try {
        bus.publish(
          subject,
          createEnvelope('nudge', { from, to: formatAddress(to), body: { text: words.join(' ') } }),
        );
        await bus.flush();
      } finally {
        await bus.close(1_000);
      }
      if (o.json === true) printJson({ subject, to: formatAddress(to) });
      else printLines([`Nudged ${formatAddress(to)} (${subject})`]);
    });
}
