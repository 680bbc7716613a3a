import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyLocalSettings } from '../settings';
import { explainStorageError, job, poison, school, stuck, trace, usage, type CommandContext } from './commands';
import { openStorage, type OpsStorage } from './opsStorage';
import { OpsError } from './opsSettings';

/**
 * `npm run ops -- <command>`: look into and repair the service, locally (the stack npm start runs, through
 * local.settings.json) or in Azure (`--account <storage account>` after `az login`; keyless). Anything that
 * changes state takes --dry-run. docs/operations.md says which command answers which alert.
 */
export const usageText = `npm run ops -- <command> [options]

  trace <jobId> [--file F]          the job's spans as a waterfall (local: LOCAL_TRACES_FILE; Azure: the query to run)
  job <jobId>                       the record, its safety events, webhook deliveries and trace
  stuck [--older-than-minutes 15]   jobs not finished after that long
  poison list [--queue jobs|webhooks]
  poison requeue <messageId>|--all [--queue …] [--dry-run]   back onto the main queue
  poison fail <messageId>|--all [--queue …] [--dry-run]      end the job or delivery as Failed, delete the message
  school add <id> [--name N]        a TENANTS entry and a new key (printed once, never stored)
  school rotate-key <id>            the entry with a second key hash; the new key printed once
  school remove <id>                TENANTS without the school
  usage --school <id>               images and spend today and this month

  --account <name>   an Azure storage account (DefaultAzureCredential: az login), instead of the local stack
  --dry-run          say what would change, change nothing`;

const projectDir = path.resolve(__dirname, '..', '..', '..');

export interface OpsRun {
  readonly env?: Record<string, string | undefined>;
  readonly print?: (line: string) => void;
  readonly now?: Date;
}

/** Runs one command; returns the exit code (0 done, 1 could not, 2 used wrongly). Errors are printed, not thrown. */
export async function runOps(argv: readonly string[], run: OpsRun = {}): Promise<number> {
  const print = run.print ?? ((line: string) => console.log(line));
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        account: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        file: { type: 'string' },
        'older-than-minutes': { type: 'string' },
        queue: { type: 'string' },
        all: { type: 'boolean', default: false },
        school: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    print(`ops: ${error instanceof Error ? error.message : String(error)}\n\n${usageText}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === undefined || command === 'help') {
    print(usageText);
    return command === undefined && !values.help ? 2 : 0;
  }
  const env = run.env ?? process.env;
  let storage: OpsStorage | undefined;
  const context: CommandContext = {
    storage: () => (storage ??= openStorage({ env, ...(values.account ? { account: values.account } : {}) })),
    env,
    projectDir,
    dryRun: values['dry-run'],
    print,
    now: run.now ?? new Date(),
  };
  try {
    switch (command) {
      case 'trace':
        trace(context, args, { ...(values.file ? { file: values.file } : {}) });
        break;
      case 'job':
        await job(context, args, { ...(values.file ? { file: values.file } : {}) });
        break;
      case 'stuck': {
        const minutes = Number(values['older-than-minutes'] ?? 15);
        if (!Number.isFinite(minutes) || minutes < 0) throw new OpsError('--older-than-minutes takes a number of minutes.', 2);
        await stuck(context, { olderThanMinutes: minutes });
        break;
      }
      case 'poison':
        await poison(context, args, { all: values.all, ...(values.queue ? { queue: values.queue } : {}) });
        break;
      case 'school':
        school(context, args, { ...(values.name ? { name: values.name } : {}) });
        break;
      case 'usage':
        await usage(context, { ...(values.school ? { school: values.school } : {}) });
        break;
      default:
        throw new OpsError(`Unknown command '${command}'.\n\n${usageText}`, 2);
    }
    return 0;
  } catch (error) {
    const explained = error instanceof OpsError ? error : explainStorageError(error);
    print(`ops: ${explained.message}`);
    return explained instanceof OpsError ? explained.exitCode : 1;
  }
}

if (require.main === module) {
  applyLocalSettings(projectDir);
  runOps(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`ops: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
