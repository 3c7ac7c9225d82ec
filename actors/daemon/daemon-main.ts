import { runDaemon } from './daemon.js';

/**
 * The town daemon process: `node daemon-main.js <town root>`. Started detached by `gt up`
 * (daemon-control.ts); exits 0 after an orderly stop, 1 after a failure, 2 without a root.
 */
async function main(root: string | undefined): Promise<number> {
  if (root === undefined || root === '') {
    process.stderr.write('usage: daemon-main.js <town root>\n');
    return 2;
  }
  try {
    return await runDaemon(root);
  } catch (error) {
    process.stderr.write(`gt daemon: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exit(await main(process.argv[2]));
